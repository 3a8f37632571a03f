"""nbgrader glue: nbgrader driven through its Python API with the course config
(:mod:`.nbg`), the course's preprocessors (sandboxed execution, robust sanitising:
:mod:`.preprocessors`), formgrader's feedback made safe (:mod:`.formgrader`), and the
course's nbgrader configuration (``nbgrader_config.py``, loaded as a config file)."""
