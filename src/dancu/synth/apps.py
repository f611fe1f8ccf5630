from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "dancu.synth"
    verbose_name = "Synthetic population"
