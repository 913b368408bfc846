"""The workload spec: pydantic config models, the YAML loader, and layer resolution."""
