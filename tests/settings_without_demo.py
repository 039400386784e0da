"""The project's settings without the demo app: the product must run and its suite (minus the demo) pass."""

from gridmgmt.settings import *  # noqa: F403
from gridmgmt.settings import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "demo"]
