package dev.orchestrator.cli;

/** The CLI's exit codes (documented in the README and in {@code orchestrator --help}). */
public final class Exit {

    private Exit() {
    }

    /** Done as asked. */
    public static final int OK = 0;
    /** An unexpected failure (a bug or an AWS error not listed below). */
    public static final int FAILED = 1;
    /** Bad command line (picocli's usage error code). */
    public static final int USAGE = 2;
    /** The run, queue or tenant named does not exist. */
    public static final int NOT_FOUND = 3;
    /** The stack refused the request (invalid start request, a function error) or a redrive left messages behind. */
    public static final int REFUSED = 4;
    /** Nothing to do: the run is already running, already complete, or already ended. */
    public static final int NO_CHANGE = 5;
    /** The stack cannot be reached or resolved (no such stack or export, no credentials, endpoint down). */
    public static final int UNREACHABLE = 6;

    public static final String HELP = """
            Exit codes: 0 done; 1 unexpected failure; 2 bad command line; 3 not found (run, queue, tenant);
            4 refused by the stack (invalid request, function error, messages left in a DLQ);
            5 nothing to do (already running / complete / ended); 6 stack unreachable or not resolved.""";
}
