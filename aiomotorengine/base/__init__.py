"""The document core without I/O: ``BaseField``, the document registry, a document's state and
projection, and the base document classes. Fields build on it; querysets work with it."""
