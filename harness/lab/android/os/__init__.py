"""The model of Android behind the wire: packages, processes, power, Doze, jobs, alarms, OEM skins."""
