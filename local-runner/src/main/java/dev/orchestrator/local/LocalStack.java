package dev.orchestrator.local;

import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.Stage;
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

    private LocalStack(Emulator emulator, SamStack orchestrator, LocalLambdaRuntime runtime, List<String> activities) {
        this.activities = List.copyOf(activities);
        this.emulator = emulator;
        this.orchestrator = orchestrator;
        this.runtime = runtime;
    }

    /** The demo's stack: every example plugin, running. */
    static LocalStack deploy(Path root, List<String> activities, Progress progress) {
        List<LocalSettings.PluginRef> examples = pluginTemplates(root).stream()
                .map(t -> new LocalSettings.PluginRef(t, Map.of())).toList();
        return deploy(root, activities, examples, LocalSettings.DEFAULT_REGISTER_TIMEOUT, progress, true);
    }

    /**
     * Deploys the orchestrator with these activities and the given plugin stacks. With {@code start},
     * event sources are delivered and the registrar reconciles; without, handlers only answer direct
     * invokes (the conformance check drives a plugin by hand).
     */
    static LocalStack deploy(Path root, List<String> activities, List<LocalSettings.PluginRef> pluginRefs,
                             int registerTimeout, Progress progress, boolean start) {
        Emulator emulator = new Emulator().start();
        try {
            progress.step("emulator at " + emulator.endpoint());
            SamStack orchestrator = SamStack.deploy(emulator, root.resolve("template.yaml"), STACK, Map.of(
                    "StackTagName", STACK, "EnvironmentTagName", "local",
                    "Activities", String.join(",", activities), "DefaultRegisterTimeout", Integer.toString(registerTimeout)));
            progress.step("deployed template.yaml as stack '" + STACK + "' (" + orchestrator.functions().size()
                    + " functions, activities " + activities + ")");
            LocalLambdaRuntime runtime = new LocalLambdaRuntime(emulator, orchestrator);
            LocalStack stack = new LocalStack(emulator, orchestrator, runtime, activities);
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
                    throw new IllegalStateException("plugin stack " + ref.template() + " did not deploy: " + e.getMessage()
                            + "\n(its stage topics must be among the activities " + activities
                            + "; pass e.g. --plugin " + ref.template() + ",Activity=" + activities.get(0) + ")", e);
                }
                runtime.add(p, projects.prepare(p));
                stack.plugins.add(p);
                progress.step("deployed plugin stack " + name + " (" + p.functions().values().stream()
                        .map(f -> f.logicalId() + (f.runtime() == null ? "" : " " + f.runtime())).collect(Collectors.joining(", ")) + ")");
            }
            if (start) {
                runtime.start();
                stack.registerPlugins(progress);
            }
            return stack;
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
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
        PluginRegistry registry = new PluginRegistry(emulator.client(DynamoDbClient.builder()), export("plugin-name"));
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
        return orchestrator.export(STACK + "-" + suffix);
    }

    @Override
    public void close() {
        runtime.close();
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
