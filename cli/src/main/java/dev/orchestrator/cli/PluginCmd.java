package dev.orchestrator.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code orchestrator plugin fail|skip}: repair one plugin execution of a running run. */
@Command(name = "plugin", mixinStandardHelpOptions = true, description = "Repair one plugin execution of a running run: fail it or skip it.",
        subcommands = {PluginCmd.Fail.class, PluginCmd.Skip.class})
final class PluginCmd implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "plugin needs a subcommand: fail or skip UID WORKFLOW ACTIVITY STAGE PLUGIN --reason TEXT");
    }

    abstract static class Repair extends Base {
        @Parameters(index = "0", paramLabel = "UID") String uid;
        @Parameters(index = "1", paramLabel = "WORKFLOW") String workflow;
        @Parameters(index = "2", paramLabel = "ACTIVITY") String activity;
        @Parameters(index = "3", paramLabel = "STAGE", description = "pre, parallel (or async), post") String stage;
        @Parameters(index = "4", paramLabel = "PLUGIN") String plugin;
        @Option(names = "--reason", required = true, description = "Why (becomes the plugin's message).") String reason;

        abstract PluginRepair.Action action();

        @Override
        public Integer call() {
            PluginRepair.Result r = new PluginRepair(target()).apply(action(), uid, workflow, activity, stage, plugin, reason);
            if (json()) {
                printJson(dev.orchestrator.core.Json.object().put("changed", r.changed()).put("group", r.group())
                        .put("state", r.state()).put("message", r.message()));
            } else if (r.changed()) {
                out().println(uid + " / " + workflow + ": " + activity + " " + stage + " " + plugin + " -> " + r.state()
                        + " (" + r.message() + "); the engine decides what follows");
            } else {
                out().println(uid + " / " + workflow + ": nothing changed: " + r.message());
            }
            return r.changed() ? Exit.OK : Exit.NO_CHANGE;
        }
    }

    @Command(name = "fail", mixinStandardHelpOptions = true, description = "Mark a plugin that is In Progress or Not Started as Error ('failed by operator: REASON').")
    static final class Fail extends Repair {
        @Override
        PluginRepair.Action action() {
            return PluginRepair.Action.FAIL;
        }
    }

    @Command(name = "skip", mixinStandardHelpOptions = true, description = "Mark a plugin that is In Progress or Not Started as Do Not Run ('skipped by operator: REASON').")
    static final class Skip extends Repair {
        @Override
        PluginRepair.Action action() {
            return PluginRepair.Action.SKIP;
        }
    }
}
