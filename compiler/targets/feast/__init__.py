"""The Feast target: the feature repository and the feature API the pipelines call."""
