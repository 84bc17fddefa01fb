"""LocationManagerService's shell command (``cmd location``): the location switch and test providers.

As AOSP's ``LocationShellCommand`` (Android 12+) and ``LocationManagerService`` do it:

- ``is-location-enabled`` prints ``true``/``false``; ``set-location-enabled true|false`` sets it.
- ``providers add-test-provider <P> [--requiresNetwork …]`` puts a mock provider over ``<P>`` (created if
  no such provider exists); ``remove-test-provider``, ``set-test-provider-enabled <P> true|false``,
  ``set-test-provider-location <P> --location <LAT>,<LNG> [--accuracy A] [--time T]``.
- Every test-provider call first notes ``MOCK_LOCATION`` for the shell (``com.android.shell``): its default
  mode is errored, so until ``appops set com.android.shell android:mock_location allow`` the call does
  nothing and still exits 0 (``noteOp`` false → ``return``).
- ``set-test-provider-location`` on an unknown provider throws ``provider doesn't exist: <P>``, on a real
  one ``<P> provider is not a test provider`` (LocationProviderManager); a malformed ``--location`` throws
  ``Location argument must be in the form of "<LATITUDE>,<LONGITUDE>", not [...]``; without it,
  ``Option "--location" is required``. A thrown exception prints ``Exception occurred while executing
  'providers':`` on stderr and exits 255 (BasicShellCommandHandler).
- A new mock provider starts disabled: a fix set on it reaches no client until ``set-test-provider-enabled
  <P> true`` (the state of a new MockLocationProvider is not allowed [unverified in source here; CTS and
  every published script enable it first]).

Clients (Play services' fused provider, and through it geofencing) hear each fix from an enabled provider
with the master switch on (``on_fix``). ``dumpsys location`` prints an abridged state [unverified layout].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.lab.android.os.jobs.args import JavaError, ShellArgs
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["LocationService", "install"]

OP_MOCK_LOCATION = 58
MODE_ALLOWED = 0
SHELL_PACKAGE = "com.android.shell"
REAL_PROVIDERS = ("passive", "network", "fused", "gps")
DEFAULT_ACCURACY_M = 100.0  # LocationShellCommand.DEFAULT_TEST_LOCATION_ACCURACY
_ADD_FLAGS = ("--requiresNetwork", "--requiresSatellite", "--requiresCell", "--hasMonetaryCost",
              "--supportsAltitude", "--supportsSpeed", "--supportsBearing")
_ADD_VALUES = ("--powerRequirement", "--accuracy", "--extraAttributionTags")

_HELP = """Location service commands:
  help or -h
    Print this help text.
  is-location-enabled [--user <USER_ID>]
    Gets the master location switch enabled state. If no user is specified,
    the current user is assumed.
  set-location-enabled true|false [--user <USER_ID>]
    Sets the master location switch enabled state. If no user is specified,
    the current user is assumed.
  providers
    The providers command is followed by a subcommand, as listed below:

    add-test-provider <PROVIDER> [--requiresNetwork] [--requiresSatellite]
      [--requiresCell] [--hasMonetaryCost] [--supportsAltitude]
      [--supportsSpeed] [--supportsBearing]
      [--powerRequirement <POWER_REQUIREMENT>]
      [--extraAttributionTags <TAG>,<TAG>,...]
      Add the given test provider. Requires MOCK_LOCATION permissions which
      can be enabled by running "adb shell appops set <uid>
      android:mock_location allow". There are optional flags that can be
      used to configure the provider properties and additional arguments. If
      no flags are included, then default values will be used.
    remove-test-provider <PROVIDER>
      Remove the given test provider.
    set-test-provider-enabled <PROVIDER> true|false
      Sets the given test provider enabled state.
    set-test-provider-location <PROVIDER> --location <LATITUDE>,<LONGITUDE>
      [--accuracy <ACCURACY>] [--time <TIME>]
      Set location for given test provider. Accuracy and time are optional.
    send-extra-command <PROVIDER> <COMMAND>
      Sends the given extra command to the given provider.
"""

FixListener = Callable[[str, float, float], None]


@dataclass
class MockProvider:
    name: str
    enabled: bool = False
    fix: tuple[float, float, float] | None = None  # latitude, longitude, accuracy


class LocationService:
    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self.enabled = True
        self.providers: set[str] = set(REAL_PROVIDERS)
        self.mocks: dict[str, MockProvider] = {}
        self._listeners: list[FixListener] = []

    def on_fix(self, listener: FixListener) -> None:
        """``listener(provider, latitude, longitude)`` for each fix a client would receive."""
        self._listeners.append(listener)

    # -- the service side (LocationManagerService) --------------------------------------------------
    def _mock_allowed(self) -> bool:
        appops = getattr(self.dev, "appops", None)
        mode = getattr(appops, "mode", None)
        return mode is not None and mode(SHELL_PACKAGE, OP_MOCK_LOCATION) == MODE_ALLOWED

    def _mock(self, name: str) -> MockProvider:
        if name not in self.providers:
            raise JavaError("java.lang.IllegalArgumentException", f"provider doesn't exist: {name}")
        mock = self.mocks.get(name)
        if mock is None:
            raise JavaError("java.lang.IllegalArgumentException", f"{name} provider is not a test provider")
        return mock

    def set_fix(self, name: str, latitude: float, longitude: float, accuracy: float) -> None:
        mock = self._mock(name)
        mock.fix = (latitude, longitude, accuracy)
        if mock.enabled and self.enabled:
            for listener in list(self._listeners):
                listener(name, latitude, longitude)

    # -- dumpsys / cmd ---------------------------------------------------------------------------------
    def dump(self, inv: Invocation, args: list[str]) -> int:
        lines = ["Location Manager State:", "  Location Settings:", f"    location enabled: {self.enabled}",
                 "  Location Providers:"]
        for name in sorted(self.providers):
            mock = self.mocks.get(name)
            state = "" if mock is None else f" [mock, {'enabled' if mock.enabled else 'disabled'}]"
            lines.append(f"    {name} provider:{state}")
            if mock is not None and mock.fix is not None:
                lat, lng, acc = mock.fix
                lines.append(f"      last mock location=Location[{name} {lat:.6f},{lng:.6f} hAcc={acc:g} mock]")
        inv.out("\n".join(lines) + "\n")
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        verb = args[0] if args else None
        a = ShellArgs(verb or "", args[1:])
        try:
            if verb == "is-location-enabled":
                _user_options(a)
                inv.out(f"{'true' if self.enabled else 'false'}\n")
                return 0
            if verb == "set-location-enabled":
                self.enabled = a.next_arg_required().lower() == "true"
                _user_options(a)
                return 0
            if verb == "providers":
                return self._providers(inv, a.next_arg_required(), a)
            return _default(inv, verb)
        except JavaError as exc:  # BasicShellCommandHandler.exec prints uncaught exceptions to stderr
            inv.err(f"\nException occurred while executing '{verb}':\n{exc}\n")
            return -1

    def _providers(self, inv: Invocation, sub: str, a: ShellArgs) -> int:
        handlers: dict[str, Callable[[ShellArgs], None]] = {
            "add-test-provider": self._add, "remove-test-provider": self._remove,
            "set-test-provider-enabled": self._set_enabled, "set-test-provider-location": self._set_location,
            "send-extra-command": self._extra_command}
        handler = handlers.get(sub)
        if handler is None:
            return _default(inv, sub)
        handler(a)
        return 0

    @staticmethod
    def _extra_command(a: ShellArgs) -> None:
        a.next_arg_required()  # the provider
        a.next_arg_required()  # the command: the lab's providers accept and ignore every one

    def _add(self, a: ShellArgs) -> None:
        name = a.next_arg_required()
        while (option := a.next_option()) is not None:
            if option in _ADD_VALUES:
                a.next_arg_required()
            elif option not in _ADD_FLAGS:
                raise JavaError("java.lang.IllegalArgumentException", f"Received unexpected option: {option}")
        if not self._mock_allowed():
            return
        self.providers.add(name)
        self.mocks[name] = MockProvider(name)

    def _remove(self, a: ShellArgs) -> None:
        name = a.next_arg_required()
        if not self._mock_allowed():
            return
        self.mocks.pop(name, None)
        if name not in REAL_PROVIDERS:
            self.providers.discard(name)

    def _set_enabled(self, a: ShellArgs) -> None:
        name = a.next_arg_required()
        enabled = a.next_arg_required().lower() == "true"  # Boolean.parseBoolean
        if self._mock_allowed():
            self._mock(name).enabled = enabled

    def _set_location(self, a: ShellArgs) -> None:
        name = a.next_arg_required()
        where: tuple[float, float] | None = None
        accuracy = DEFAULT_ACCURACY_M
        while (option := a.next_option()) is not None:
            if option == "--location":
                where = _lat_lng(a.next_arg_required())
            elif option == "--accuracy":
                accuracy = _java_double(a.next_arg_required())
            elif option == "--time":
                a.next_arg_required()
            else:
                raise JavaError("java.lang.IllegalArgumentException", f"Unknown option: {option}")
        if where is None:
            raise JavaError("java.lang.IllegalArgumentException", 'Option "--location" is required')
        if self._mock_allowed():
            self.set_fix(name, where[0], where[1], accuracy)


def _user_options(a: ShellArgs) -> None:
    while (option := a.next_option()) is not None:
        if option != "--user":
            raise JavaError("java.lang.IllegalArgumentException", f"Unknown option: {option}")
        a.next_arg_required()


def _default(inv: Invocation, verb: str | None) -> int:
    """``handleDefaultCommands``: help for none/``help``/``-h``, else ``Unknown command``; both return -1."""
    if verb in (None, "help", "-h"):
        inv.out(_HELP)
    else:
        inv.out(f"Unknown command: {verb}\n")
    return -1


def _java_double(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise JavaError("java.lang.NumberFormatException", f'For input string: "{text}"') from None


def _lat_lng(text: str) -> tuple[float, float]:
    parts = text.split(",")
    while parts and parts[-1] == "":  # String.split drops trailing empty strings
        parts.pop()
    if len(parts) != 2:
        raise JavaError("java.lang.IllegalArgumentException", 'Location argument must be in the form of '
                        f'"<LATITUDE>,<LONGITUDE>", not [{", ".join(parts)}]')
    return _java_double(parts[0]), _java_double(parts[1])


def install(dev: AndroidDevice) -> None:
    dev.services["location"] = LocationService(dev)
