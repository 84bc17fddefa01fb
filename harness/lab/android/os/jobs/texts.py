"""Help texts the services print (device output, copied from the shell-command classes' ``onHelp``).

JobSchedulerShellCommand.onHelp (15-era @01a7983f3137; ``get-aconfig-flag-state`` is 15-only) and
AppOpsService.dumpCommandHelp.
"""

from __future__ import annotations

__all__ = ["APPOPS_HELP", "JOBSCHEDULER_DUMP_HELP", "jobscheduler_help"]

_USER_RUN = ("      -u or --user: specify which user's job is to be run; the default is\n"
             "         the primary or system user\n")
_USER_ALL = ("      -u or --user: specify which user's job is to be run; the default is\n"
             "         all users\n")
_NAMESPACE = ("      -n or --namespace: specify the namespace this job sits in; the default\n"
              "         is null (no namespace).\n")


def _bytes(verb: str, what: str) -> str:
    return (f"  {verb} [-u | --user USER_ID] [-n | --namespace NAMESPACE] PACKAGE JOB_ID\n"
            f"    Return the most recent {what} bytes for the job.\n    Options:\n" + _USER_RUN)


def jobscheduler_help(sdk: int) -> str:
    flag = ("  get-aconfig-flag-state FULL_FLAG_NAME\n"
            "    Return the state of the specified aconfig flag, if known. The flag name\n"
            "         must be fully qualified.\n") if sdk >= 35 else ""
    return (
        "Job scheduler (jobscheduler) commands:\n  help\n    Print this help text.\n"
        "  run [-f | --force] [-s | --satisfied] [-u | --user USER_ID] [-n | --namespace NAMESPACE] PACKAGE JOB_ID\n"
        "    Trigger immediate execution of a specific scheduled job. For historical\n"
        "    reasons, some constraints, such as battery, are ignored when this\n"
        "    command is called. If you don't want any constraints to be ignored,\n"
        "    include the -s flag.\n    Options:\n"
        "      -f or --force: run the job even if technical constraints such as\n"
        "         connectivity are not currently met. This is incompatible with -f \n"
        "         and so an error will be reported if both are given.\n" + _NAMESPACE +
        "      -s or --satisfied: run the job only if all constraints are met.\n"
        "         This is incompatible with -f and so an error will be reported\n"
        "         if both are given.\n" + _USER_RUN +
        "  stop [-u | --user USER_ID] [-n | --namespace NAMESPACE] [-s | --stop-reason STOP_REASON]"
        " [-i | --internal-stop-reason STOP_REASON] [PACKAGE] [JOB_ID]\n"
        "    Trigger immediate stop of currently executing jobs using the specified\n"
        "    stop reasons.\n    Options:\n" + _USER_ALL + _NAMESPACE +
        "      -s or --stop-reason: specify the stop reason given to the job.\n"
        "         Valid values are those that can be returned from\n"
        "         JobParameters.getStopReason().\n"
        "          The default value is STOP_REASON_USER.\n"
        "      -i or --internal-stop-reason: specify the internal stop reason.\n"
        "         JobScheduler will use for internal processing.\n"
        "         Valid values are those that can be returned from\n"
        "         JobParameters.getInternalStopReason().\n"
        "          The default value is INTERNAL_STOP_REASON_UNDEFINED.\n"
        "  timeout [-u | --user USER_ID] [-n | --namespace NAMESPACE] [PACKAGE] [JOB_ID]\n"
        "    Trigger immediate timeout of currently executing jobs, as if their\n"
        "    execution timeout had expired.\n"
        "    This is the equivalent of calling `stop -s 3 -i 3`.\n    Options:\n" + _USER_ALL + _NAMESPACE +
        "  cancel [-u | --user USER_ID] [-n | --namespace NAMESPACE] PACKAGE [JOB_ID]\n"
        "    Cancel a scheduled job.  If a job ID is not supplied, all jobs scheduled\n"
        "    by that package will be canceled.  USE WITH CAUTION.\n    Options:\n" + _USER_RUN + _NAMESPACE +
        "  heartbeat [num]\n    No longer used.\n"
        "  monitor-battery [on|off]\n"
        "    Control monitoring of all battery changes.  Off by default.  Turning\n"
        "    on makes get-battery-seq useful.\n" + flag +
        "  get-battery-seq\n    Return the last battery update sequence number that was received.\n"
        "  get-battery-charging\n    Return whether the battery is currently considered to be charging.\n"
        "  get-battery-not-low\n    Return whether the battery is currently considered to not be low.\n"
        + _bytes("get-estimated-download-bytes", "estimated download")
        + _bytes("get-estimated-upload-bytes", "estimated upload") +
        "  get-storage-seq\n    Return the last storage update sequence number that was received.\n"
        "  get-storage-not-low\n    Return whether storage is currently considered to not be low.\n"
        + _bytes("get-transferred-download-bytes", "transferred download")
        + _bytes("get-transferred-upload-bytes", "transferred upload") +
        "  get-job-state [-u | --user USER_ID] [-n | --namespace NAMESPACE] PACKAGE JOB_ID\n"
        "    Return the current state of a job, may be any combination of:\n"
        "      pending: currently on the pending list, waiting to be active\n"
        "      active: job is actively running\n"
        "      user-stopped: job can't run because its user is stopped\n"
        "      backing-up: job can't run because app is currently backing up its data\n"
        "      no-component: job can't run because its component is not available\n"
        "      ready: job is ready to run (all constraints satisfied or bypassed)\n"
        "      waiting: if nothing else above is printed, job not ready to run\n    Options:\n"
        + _USER_RUN + _NAMESPACE +
        "  trigger-dock-state [idle|active]\n"
        "    Trigger wireless charging dock state.  Active by default.\n\n"
    )


JOBSCHEDULER_DUMP_HELP = (
    "Job Scheduler (jobscheduler) dump options:\n"
    "  [-h] [package] ...\n"
    "    -h: print this help\n"
    "  [package] is an optional package name to limit the output to.\n"
)

APPOPS_HELP = (
    "AppOps service (appops) commands:\n"
    "  help\n    Print this help text.\n"
    "  start [--user <USER_ID>] [--attribution <ATTRIBUTION_TAG>] <PACKAGE | UID> <OP> \n"
    "    Starts a given operation for a particular application.\n"
    "  stop [--user <USER_ID>] [--attribution <ATTRIBUTION_TAG>] <PACKAGE | UID> <OP> \n"
    "    Stops a given operation for a particular application.\n"
    "  set [--user <USER_ID>] <[--uid] PACKAGE | UID> <OP> <MODE>\n"
    "    Set the mode for a particular application and operation.\n"
    "  get [--user <USER_ID>] [--attribution <ATTRIBUTION_TAG>] <PACKAGE | UID> [<OP>]\n"
    "    Return the mode for a particular application and optional operation.\n"
    "  query-op [--user <USER_ID>] <OP> [<MODE>]\n"
    "    Print all packages that currently have the given op in the given mode.\n"
    "  reset [--user <USER_ID>] [<PACKAGE>]\n"
    "    Reset the given application or all applications to default modes.\n"
    "  write-settings\n    Immediately write pending changes to storage.\n"
    "  read-settings\n    Read the last written settings, replacing current state in RAM.\n"
    "  options:\n"
    "    <PACKAGE> an Android package name or its UID if prefixed by --uid\n"
    "    <OP>      an AppOps operation.\n"
    "    <MODE>    one of allow, ignore, deny, or default\n"
    "    <USER_ID> the user id under which the package is installed. If --user is\n"
    "              not specified, the current user is assumed.\n"
)
