"""WP_Error as the REST API renders it."""
from __future__ import annotations


class RestError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **data):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data

    def body(self) -> dict:
        data = {"status": self.status}
        data.update(self.data)
        return {"code": self.code, "message": self.message, "data": data}


def invalid_param(param: str, message: str, detail_code: str, detail_data=None) -> RestError:
    """rest_invalid_param exactly like WP_REST_Request::has_valid_params() builds it."""
    return RestError(
        "rest_invalid_param",
        f"Invalid parameter(s): {param}",
        400,
        params={param: message},
        details={param: {"code": detail_code, "message": message, "data": detail_data}},
    )


def not_integer(param: str) -> RestError:
    return invalid_param(param, f"{param} is not of type integer.", "rest_invalid_type", {"param": param})


def not_type(param: str, type_name: str) -> RestError:
    return invalid_param(param, f"{param} is not of type {type_name}.", "rest_invalid_type", {"param": param})


def not_in_enum(param: str, values: list[str]) -> RestError:
    if len(values) > 1:
        listed = ", ".join(values[:-1]) + ", and " + values[-1]
    else:
        listed = values[0]
    return invalid_param(param, f"{param} is not one of {listed}.", "rest_not_in_enum")


def out_of_bounds(param: str, low: int, high: int) -> RestError:
    return invalid_param(
        param,
        f"{param} must be between {low} (inclusive) and {high} (inclusive)",
        "rest_out_of_bounds",
    )
