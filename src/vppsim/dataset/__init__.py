"""The dataset contract: specs and schemas, sources, the atomic writer, the build."""
