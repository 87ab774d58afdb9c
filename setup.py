from setuptools import find_packages, setup

from shopsync import __version__ as version

with open("requirements.txt") as f:
    install_requires = [
        line.strip() for line in f if line.strip() and not line.startswith(("#", "-"))
    ]

setup(
    name="shopsync",
    version=version,
    description="Keeps ERPNext and any number of WooCommerce shops in step",
    author="shopsync developers",
    author_email="dev@shopsync.invalid",
    packages=find_packages(include=["shopsync", "shopsync.*"]),
    zip_safe=False,
    include_package_data=True,
    install_requires=install_requires,
    python_requires=">=3.10",
)
