"""The hand-off to Google's Model Explorer: ``to_model_explorer`` (in ``write``) writes its graph
JSON and one node-data JSON per overlay."""
