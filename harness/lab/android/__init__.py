"""Virtual Android phones: an adbd over TCP in front of a model of Android 14/15 and its OEM skin."""
