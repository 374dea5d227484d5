"""Intake functions, storage and officer tools of the child-protection office kit.

Layers (see DESIGN.md): ``core`` (pure Python rules), ``storage`` (local directory or S3),
``api`` (framework-neutral request handlers), ``web`` (Flask adapter), ``lambda_handler``
(AWS Lambda adapter), ``commands`` (the ``bvte`` CLI). Importing this package does no work.
"""
