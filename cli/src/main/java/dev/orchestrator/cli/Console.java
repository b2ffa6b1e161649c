package dev.orchestrator.cli;

import dev.orchestrator.core.StackExports;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.ZoneId;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code orchestrator console}: a web console on this machine, talking to the stack with the
 * operator's own credentials and region, like every other command. No new AWS resource, nothing
 * public: it listens on loopback unless told otherwise, and every request needs the token printed
 * with its URL.
 */
@Command(name = "console", mixinStandardHelpOptions = true, description = {
        "A web console for the stack: runs (filters, paging), a run drawn as a graph with live state, its history, "
                + "operator actions (resume, cancel, fail or skip a plugin, redrive a dead-letter queue), plugins, "
                + "dead-letter queues and tenants.",
        "Listens on 127.0.0.1 and prints a URL carrying a random token; every request needs that token "
                + "(then a cookie), and every change needs a POST with the page's CSRF token. Runs until stopped (Ctrl-C)."})
public final class Console extends Base {

    @Option(names = "--port", defaultValue = "0", paramLabel = "PORT",
            description = "TCP port to listen on (default ${DEFAULT-VALUE}: a free port, printed with the URL).")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address to listen on (default ${DEFAULT-VALUE}, this machine only). Any other address "
                    + "lets others reach the console (still behind the token): it warns.")
    String bind;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65_535) {
            throw new CliException(Exit.USAGE, "--port " + port + " is not a TCP port (0-65535; 0 picks a free one)");
        }
        target().export(StackExports.STATUS_TABLE); // the stack resolves now, or the command says why before it listens
        ConsoleServer server = ConsoleServer.start(target(), root().env, root().zone, bind, port,
                spec.commandLine().getErr());
        out().println("orchestrator console for stack " + target().stack() + ": " + server.url());
        out().println("(the token in this URL is the key to the console: share it as you would your AWS credentials; Ctrl-C stops it)");
        out().flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return Exit.OK;
    }

    /** True when {@code bind} names a loopback address (127.0.0.0/8, ::1, localhost). */
    static boolean loopback(String bind) {
        try {
            return InetAddress.getByName(bind).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new CliException(Exit.USAGE, "--bind '" + bind + "' is not an address of this machine: " + e.getMessage());
        }
    }

    /**
     * Starts a console on a stack from code (the local runner's {@code up}): the same server as
     * {@code orchestrator console}, with the connection settings the CLI takes as options.
     */
    public static ConsoleServer open(String stack, String endpointUrl, String lambdaEndpointUrl, Map<String, String> env,
                                     String bind, int port, PrintWriter warnings) {
        Target target = new Target(stack, null, null, endpointUrl, lambdaEndpointUrl, env);
        target.export(StackExports.STATUS_TABLE);
        return ConsoleServer.start(target, env, ZoneId.systemDefault(), bind, port, warnings);
    }
}
