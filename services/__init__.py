"""Mock national systems (FastAPI apps) and what they share: fault injection (`services.faults`), the
synthetic population, the registry of mocks. They import neither the bus nor the adapters."""
