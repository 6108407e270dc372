"""Interactive views (ipywidgets 8, plotly) over nbsec Reports and stores; imported on use only."""
