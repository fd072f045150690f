#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg.settings")
    # Management commands default to the development configuration (as cookiecutter's
    # manage.py does); the web (wsgi) and Celery processes do not: production sets
    # DEBUG=0 and SECRET_KEY explicitly.
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
