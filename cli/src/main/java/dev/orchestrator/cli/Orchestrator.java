package dev.orchestrator.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code orchestrator}: the operator's view of a deployed orchestrator stack (or the local one).
 * Every command resolves the stack's resources from its CloudFormation exports.
 */
@Command(name = "orchestrator", mixinStandardHelpOptions = true, version = "orchestrator 1.0",
        description = "Operate an orchestrator stack: runs, history, plugins, dead-letter queues, tenants.",
        footer = {"", Exit.HELP},
        subcommands = {Commands.Status.class, Commands.Output.class, Commands.History.class, Commands.Runs.class, Commands.Start.class,
                Commands.Resume.class, Commands.Cancel.class, Commands.Plugins.class, PluginCmd.class, Dlq.class,
                Tenants.All.class, Tenants.One.class, Console.class})
public final class Orchestrator {

    @Option(names = "--stack", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "Stack name (prefix of its exports). Default: $ORCHESTRATOR_STACK.")
    String stack;

    @Option(names = "--profile", scope = ScopeType.INHERIT, description = "AWS profile (default: the default credential chain).")
    String profile;

    @Option(names = "--region", scope = ScopeType.INHERIT, description = "AWS region (default: $AWS_REGION, the profile's).")
    String region;

    @Option(names = "--endpoint-url", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "AWS API endpoint, e.g. the local emulator (default: $AWS_ENDPOINT_URL).")
    String endpointUrl;

    @Option(names = "--lambda-endpoint-url", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Lambda Invoke endpoint when it differs from --endpoint-url (the local runtime's).")
    String lambdaEndpointUrl;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Machine-readable JSON output.")
    boolean json;

    Map<String, String> env = System.getenv();
    ZoneId zone = ZoneId.systemDefault();
    private Target target;

    Target target() {
        if (target == null) {
            target = new Target(stack != null ? stack : env.get("ORCHESTRATOR_STACK"), profile, region, endpointUrl,
                    lambdaEndpointUrl, env);
        }
        return target;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, System.getenv(), ZoneId.systemDefault(), out, err));
    }

    /** Runs one command line; returns its exit code (see {@link Exit}). */
    public static int run(String[] args, Map<String, String> env, ZoneId zone, PrintWriter out, PrintWriter err) {
        return run(args, env, zone, null, out, err);
    }

    /** Like {@link #run(String[], Map, ZoneId, PrintWriter, PrintWriter)}, on an existing stack connection (the console's). */
    static int run(String[] args, Map<String, String> env, ZoneId zone, Target shared, PrintWriter out, PrintWriter err) {
        Orchestrator root = new Orchestrator();
        root.env = env;
        root.zone = zone;
        root.target = shared;
        CommandLine cli = new CommandLine(root);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof CliException c) {
                err.println("error: " + c.getMessage());
                return c.code();
            }
            err.println("error: " + e);
            return Exit.FAILED;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
