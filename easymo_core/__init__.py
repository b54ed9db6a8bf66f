"""easyMO Console core: everything that is not Qt (config, storage, Cloud API, messaging)."""

__version__ = "0.1.0"
