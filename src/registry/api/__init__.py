"""The REST API: FastAPI app factory and one router per resource."""

from registry.api.app import create_app

__all__ = ["create_app"]
