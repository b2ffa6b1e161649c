package dev.orchestrator.local;

import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.Topics;
import dev.orchestrator.testkit.Emulator;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import dev.orchestrator.testkit.LocalLambdaRuntime;
import dev.orchestrator.testkit.SamStack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The orchestrator stack and the example plugin stacks deployed to the emulator from their real
 * templates, with every handler running in this process.
 */
final class LocalStack implements AutoCloseable {

    static final String STACK = "local";

    final Emulator emulator;
    final SamStack orchestrator;
    final List<SamStack> plugins = new ArrayList<>();
    final LocalLambdaRuntime runtime;
    final List<String> activities;
    /** The plugin functions' status-table writes, seen on the wire (null when the stack has no plugin stacks of the user's). */
    WriteWatch writes;

    private LocalStack(Emulator emulator, SamStack orchestrator, LocalLambdaRuntime runtime, List<String> activities) {
        this.activities = List.copyOf(activities);
        this.emulator = emulator;
        this.orchestrator = orchestrator;
        this.runtime = runtime;
    }

    /** The demo's stack: every example plugin, running. */
    static LocalStack deploy(Path root, List<String> activities, Progress progress) {
        return deploy(root, activities, Map.of(), progress);
    }

    /** The demo's stack with parameters of the orchestrator stack's own (--parameter). */
    static LocalStack deploy(Path root, List<String> activities, Map<String, String> parameters, Progress progress) {
        List<LocalSettings.PluginRef> examples = pluginTemplates(root).stream()
                .map(t -> new LocalSettings.PluginRef(t, Map.of())).toList();
        return deploy(root, activities, examples, LocalSettings.DEFAULT_REGISTER_TIMEOUT, parameters, progress, true);
    }

    /** Parameters the runner sets on the orchestrator stack itself, and the option that sets each instead of --parameter. */
    static final Map<String, String> SET_BY_RUNNER = Map.of("Activities", "--activities", "DefaultRegisterTimeout", "--register-timeout",
            "StackTagName", "(the local stack is always named '" + STACK + "')", "EnvironmentTagName", "(always 'local')");

    /** The orchestrator stack's own parameters a user sets with --parameter: each must be declared, and not one the runner sets. */
    static void checkParameters(Path template, Map<String, String> parameters) {
        List<String> declared = declaredParameters(template);
        List<String> problems = new ArrayList<>();
        parameters.keySet().forEach(k -> {
            if (SET_BY_RUNNER.containsKey(k)) {
                problems.add("--parameter " + k + ": set with " + SET_BY_RUNNER.get(k));
            } else if (!declared.contains(k)) {
                problems.add("--parameter " + k + ": " + template.getFileName() + " declares no parameter " + k + " (it declares "
                        + declared.stream().filter(d -> !SET_BY_RUNNER.containsKey(d)).toList() + ")");
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
    }

    /** The names in a template's top-level Parameters section. */
    static List<String> declaredParameters(Path template) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        try {
            for (String line : Files.readAllLines(template)) {
                if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("#")) {
                    in = line.startsWith("Parameters:");
                } else if (in) {
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^  ([A-Za-z0-9]+):").matcher(line);
                    if (m.find()) {
                        out.add(m.group(1));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static LocalStack deploy(Path root, List<String> activities, List<LocalSettings.PluginRef> pluginRefs,
                             int registerTimeout, Progress progress, boolean start) {
        return deploy(root, activities, pluginRefs, registerTimeout, Map.of(), progress, start);
    }

    /**
     * Deploys the orchestrator with these activities (and its own {@code parameters}, from --parameter) and the given plugin stacks. With {@code start},
     * event sources are delivered and the registrar reconciles; without, handlers only answer direct
     * invokes (the conformance check drives a plugin by hand).
     */
    static LocalStack deploy(Path root, List<String> activities, List<LocalSettings.PluginRef> pluginRefs,
                             int registerTimeout, Map<String, String> parameters, Progress progress, boolean start) {
        checkParameters(root.resolve("template.yaml"), parameters);
        Emulator emulator = new Emulator().start();
        LocalStack stack = null;
        try {
            progress.step("emulator at " + emulator.endpoint());
            Map<String, String> orchestratorParameters = new LinkedHashMap<>(parameters);
            orchestratorParameters.putAll(Map.of("StackTagName", STACK, "EnvironmentTagName", "local",
                    "Activities", String.join(",", activities), "DefaultRegisterTimeout", Integer.toString(registerTimeout)));
            SamStack orchestrator;
            try {
                orchestrator = SamStack.deploy(emulator, root.resolve("template.yaml"), STACK, orchestratorParameters);
            } catch (RuntimeException e) {
                throw new IllegalStateException("the orchestrator stack '" + STACK + "' (template.yaml) did not deploy"
                        + (parameters.isEmpty() ? "" : " with --parameter " + parameters) + ": " + e.getMessage(), e);
            }
            progress.step("deployed template.yaml as stack '" + STACK + "' (" + orchestrator.functions().size()
                    + " functions, activities " + activities + (parameters.isEmpty() ? "" : ", parameters " + parameters) + ")");
            LocalLambdaRuntime runtime = new LocalLambdaRuntime(emulator, orchestrator);
            stack = new LocalStack(emulator, orchestrator, runtime, activities);
            stack.writes = new WriteWatch(emulator.endpoint(), stack.export(StackExports.STATUS_TABLE));
            PluginProjects projects = new PluginProjects(root, progress);
            Set<String> names = new HashSet<>();
            for (LocalSettings.PluginRef ref : pluginRefs) {
                String base = "plugin-" + ref.template().toAbsolutePath().getParent().getFileName();
                String name = base;
                for (int i = 2; !names.add(name); i++) {
                    name = base + "-" + i;
                }
                Map<String, String> params = new LinkedHashMap<>(ref.parameters());
                params.put("OrchestratorStackName", STACK);
                if (declaresParameter(ref.template(), "OrchestratorLayer")) {
                    // Java plugin templates take the layer ARN from Parameter Store (it survives layer updates).
                    params.put("OrchestratorLayer", "/local/orchestrator/stacks/" + STACK.replace("-", "") + "/layer");
                }
                SamStack p;
                try {
                    p = SamStack.deploy(emulator, ref.template(), name, params);
                } catch (RuntimeException e) {
                    String cause = String.valueOf(e.getMessage());
                    boolean missingExport = cause.contains("xport");
                    throw new IllegalStateException("plugin stack " + name + " (" + ref.template() + ") did not deploy: " + cause
                            + (missingExport ? "\n(its stage topics must be among the activities " + activities
                            + "; pass e.g. --plugin " + ref.template() + ",Activity=" + activities.get(0) + ")" : ""), e);
                }
                WriteWatch watch = stack.writes;
                String stackName = name;
                runtime.add(p, projects.prepare(p), f -> Map.of("AWS_ENDPOINT_URL",
                        watch.endpointFor(stackName + "/" + f.logicalId())));
                stack.plugins.add(p);
                progress.step("deployed plugin stack " + name + " (" + p.functions().values().stream()
                        .map(f -> f.logicalId() + (f.runtime() == null ? "" : " " + f.runtime()) + filters(f)).collect(Collectors.joining(", ")) + ")");
            }
            if (start) {
                runtime.start();
                stack.registerPlugins(progress);
            }
            return stack;
        } catch (RuntimeException e) {
            // Everything started so far stops: a failed deploy ends the command, it never leaves it hanging.
            if (stack != null) {
                stack.close();
            } else {
                emulator.close();
            }
            throw e;
        }
    }

    /** The function's SNS filter policies as deployed (intrinsic functions resolved), for the progress line. */
    private static String filters(dev.orchestrator.testkit.FunctionSpec f) {
        return f.sources().stream().filter(s -> s.hasNonNull("filterPolicy"))
                .map(s -> " filter " + s.get("filterPolicy")).collect(Collectors.joining());
    }

    /** Example plugin stacks whose handlers are on this classpath. */
    static List<Path> pluginTemplates(Path root) {
        Path dir = root.resolve("plugins-examples");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.resolve("template.yaml")).filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lets the stack's registrar find the plugins from their subscriptions, as its schedule would. */
    void registerPlugins(Progress progress) {
        String result = runtime.invoke("RegistrarFunction", "{\"action\":\"reconcile\"}");
        PluginRegistry registry = new PluginRegistry(emulator.client(DynamoDbClient.builder()), export(StackExports.PLUGIN_TABLE));
        progress.step("registrar reconciled the topics' subscriptions: " + result);
        for (String activity : activities) {
            for (Stage stage : Stage.values()) {
                for (PluginRegistration r : registry.plugins(activity, stage)) {
                    progress.step("registered plugin " + r.pluginName() + " on " + activity + "/" + stage.wireName()
                            + (r.mandatory() ? " (mandatory)" : " (optional)"));
                }
            }
        }
    }

    String export(String suffix) {
        return orchestrator.export(StackExports.name(STACK, suffix));
    }

    /** The ARN of an activity's stage topic, from the stack's export of it. */
    String topic(String activity, Stage stage) {
        return orchestrator.export(Topics.name(STACK, activity, stage));
    }

    @Override
    public void close() {
        runtime.close();
        if (writes != null) {
            writes.close();
        }
        emulator.close();
    }

    /** Whether a template declares a parameter (a parameter passed to a template without it fails the deploy). */
    static boolean declaresParameter(java.nio.file.Path template, String name) {
        try {
            return java.util.regex.Pattern.compile("(?m)^\\s{2}" + name + ":").matcher(java.nio.file.Files.readString(template)).find();
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
