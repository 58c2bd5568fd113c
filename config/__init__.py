# Load the Celery app with Django so tasks sent from the web process use its broker settings.
from config.celery import app as celery_app

__all__ = ["celery_app"]
