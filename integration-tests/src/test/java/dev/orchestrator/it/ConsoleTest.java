package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.cli.Console;
import dev.orchestrator.cli.ConsoleServer;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser (the system's headless Chromium, driven by Selenium) against the
 * stack on the emulator: a run turns Complete on the page without a reload, a run is cancelled and a
 * stuck plugin failed from the page, a hostile metadata value stays text, and nothing answers without
 * the token. With {@code -Dconsole.screenshots=DIR} it also saves the README's two screenshots there.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleTest {

    static final Duration PATIENCE = Duration.ofSeconds(120);
    static OrchestratorFixture stack;
    static ConsoleServer console;
    static WebDriver browser;
    static final StringWriter WARNINGS = new StringWriter();

    /** A plugin whose behaviour is picked by the run's uid: "slow" works 8 s, "hold"/"stuck" wait for a report, "fail" fails. */
    static final class Worker extends PluginHandler {
        private final PluginInfo info;
        private final String waitsFor;

        Worker(Map<String, String> env, String name, int order, String waitsFor) {
            super(env);
            this.info = PluginInfo.builder(name).mandatory(true).order(order).description("console test plugin " + name).build();
            this.waitsFor = waitsFor;
        }

        @Override
        public PluginInfo info() {
            return info;
        }

        @Override
        protected PluginResult process(PluginContext ctx) throws Exception {
            String uid = ctx.uid();
            if (waitsFor != null && uid.startsWith(waitsFor)) {
                return PluginResult.waitForReport();
            }
            if (info.pluginName().equals("compile")) {
                if (uid.startsWith("slow")) {
                    Thread.sleep(8_000);
                }
                if (uid.startsWith("fail")) {
                    return PluginResult.fatal("compiler exited 2: src/Main.java:14: ';' expected");
                }
            }
            return PluginResult.complete();
        }
    }

    @BeforeAll
    static void start() {
        stack = OrchestratorFixture.deploy("web", List.of("Build", "Deploy", "Verify", "Release"));
        Map<String, String> env = stack.pluginEnv();
        stack.register("Build", Stage.PRE, new Worker(env, "compile", 1, "hold"));
        stack.register("Build", Stage.POST, new Worker(env, "package", 1, null));
        stack.register("Deploy", Stage.PARALLEL, new Worker(env, "deploy-eu", 1, null));
        stack.register("Deploy", Stage.PARALLEL, new Worker(env, "deploy-us", 2, "shot"));
        stack.register("Verify", Stage.PARALLEL, new Worker(env, "smoke-tests", 1, "stuck"));
        stack.register("Release", Stage.POST, new Worker(env, "publish", 1, null));
        console = Console.open("web", stack.emulator.endpoint().toString(), stack.runtime.lambdaEndpoint(),
                stack.emulator.clientEnvironment(), "127.0.0.1", 0, new PrintWriter(WARNINGS, true));
        browser = chromium();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (console != null) {
            console.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    /** Debian's chromium and chromium-driver (installed by .ci/run); Selenium downloads nothing. */
    static WebDriver chromium() {
        Path driver = onPath("chromedriver");
        Path binary = onPath("chromium", "chromium-browser", "google-chrome");
        if (driver == null || binary == null) {
            throw new AssertionError("the console's browser tests need Chromium and its driver on PATH: "
                    + "apt-get install -y chromium chromium-driver (.ci/run does this)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(binary.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1440,1180", "--force-device-scale-factor=1", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().withTimeout(Duration.ofSeconds(60)).build();
        WebDriver d = new ChromeDriver(service, options);
        d.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(90)).scriptTimeout(Duration.ofSeconds(30));
        return d;
    }

    private static Path onPath(String... names) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : names) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    static String base() {
        return "http://127.0.0.1:" + console.port();
    }

    /** Opens the printed URL once (the token becomes a cookie), then any page. */
    static void open(String path) {
        if (browser.manage().getCookieNamed("orchestrator-console") == null) {
            browser.get(console.url());
            waitFor(ExpectedConditions.presenceOfElementLocated(By.id("runs-table")));
        }
        browser.get(base() + path);
    }

    static <T> T waitFor(java.util.function.Function<? super WebDriver, T> condition) {
        return new WebDriverWait(browser, PATIENCE, Duration.ofMillis(250)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(condition);
    }

    static String runPath(String uid, String workflow) {
        return "/run?uid=" + uid + "&workflow=" + workflow;
    }

    static void startRun(String uid, String workflow, String metadataJson) {
        stack.start("{\"uid\":\"" + uid + "\",\"workflow\":\"" + workflow + "\",\"activities\":[\"Build\","
                + "{\"name\":\"Deploy\",\"dependsOn\":[\"Build\"]},{\"name\":\"Verify\",\"dependsOn\":[\"Build\"]},"
                + "{\"name\":\"Release\",\"dependsOn\":[\"Deploy\",\"Verify\"]}],"
                + "\"metadata\":" + metadataJson + ",\"pluginRegisterTimeout\":1}");
        stack.awaitCondition(PATIENCE, () -> stack.run(uid, workflow).isPresent());
    }

    /** The run ids listed on the runs page in view, in order. */
    static List<String> uids() {
        return browser.findElements(By.cssSelector("#runs-table .run-row a.uid")).stream().map(WebElement::getText).toList();
    }

    static String runStatus() {
        return browser.findElement(By.cssSelector("#run-status .badge")).getText();
    }

    /** Clicks a button that opens the confirmation dialog, types the reason, confirms. */
    static void confirm(WebElement button, String reason) {
        button.click();
        WebElement dialog = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
        if (reason != null) {
            WebElement box = dialog.findElement(By.id("confirm-reason"));
            box.clear();
            box.sendKeys(reason);
        }
        dialog.findElement(By.id("confirm-ok")).click();
        waitFor(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".flash")));
    }

    @Test
    @Order(1)
    void aRunningRunTurnsCompleteOnThePageWithoutAReload() {
        startRun("slow-1", "release-train", "{\"tier\":\"gold\"}");
        open(runPath("slow-1", "release-train"));
        waitFor(d -> runStatus().equals("In Progress"));
        assertThat(browser.findElements(By.cssSelector("svg#graph .node"))).hasSize(4);
        assertThat(browser.findElement(By.cssSelector("svg#graph .node[data-activity='Build']")).getAttribute("class"))
                .contains("running");
        ((JavascriptExecutor) browser).executeScript("window.__sameDocument = 'yes';");

        waitFor(d -> runStatus().equals("Complete"));
        // Still the same document: the page changed by itself.
        assertThat(((JavascriptExecutor) browser).executeScript("return window.__sameDocument;")).isEqualTo("yes");
        assertThat(browser.findElements(By.cssSelector("svg#graph .node.st-complete"))).hasSize(4);
        assertThat(browser.findElement(By.id("timeline")).getText()).contains("Complete");
    }

    @Test
    @Order(2)
    void aRunIsCancelledFromThePage() {
        startRun("hold-1", "release-train", "{\"tier\":\"silver\"}");
        open(runPath("hold-1", "release-train"));
        waitFor(d -> runStatus().equals("In Progress"));
        confirm(browser.findElement(By.cssSelector("#live [data-confirm='/action/cancel']")), "bad data from the page");
        assertThat(browser.findElement(By.cssSelector(".flash")).getText()).contains("cancel requested");
        waitFor(d -> runStatus().equals("Error"));
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.id("run-message"), "cancelled: bad data from the page"));
        assertThat(stack.run("hold-1", "release-train").orElseThrow().status()).isEqualTo(State.ERROR);
    }

    @Test
    @Order(3)
    void aStuckPluginIsFailedFromThePageAndTheRunEnds() {
        startRun("stuck-1", "release-train", "{\"tier\":\"bronze\"}");
        open(runPath("stuck-1", "release-train"));
        By failSmoke = By.cssSelector("tr[data-plugin='smoke-tests'] [data-confirm='/action/plugin'][data-field-verb='fail']");
        // The row and its buttons show as soon as the stage lists the plugin (Not Started); on a busy machine its claim
        // comes later, and the page shows it without a reload.
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr[data-plugin='smoke-tests']"), "In Progress"));
        waitFor(ExpectedConditions.elementToBeClickable(failSmoke));
        confirm(browser.findElement(failSmoke), "hung on a dead host");
        waitFor(d -> runStatus().equals("Error"));
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr[data-plugin='smoke-tests']"),
                "failed by operator: hung on a dead host"));
        assertThat(stack.run("stuck-1", "release-train").orElseThrow().status()).isEqualTo(State.ERROR);
    }

    @Test
    @Order(4)
    void aHostileMetadataValueStaysText() {
        String payload = "<img src=x onerror=alert(1)>";
        startRun("xss-1", "release-train", "{\"note\":\"" + payload + "\",\"<b>key</b>\":\"x\"}");
        open(runPath("xss-1", "release-train"));
        waitFor(ExpectedConditions.presenceOfElementLocated(By.cssSelector("dl.meta")));
        assertThat(browser.findElement(By.cssSelector("dl.meta")).getText()).contains(payload).contains("<b>key</b>");
        assertThat(browser.findElements(By.cssSelector("main img"))).isEmpty();
        assertThat(browser.findElements(By.cssSelector("dl.meta b"))).isEmpty();
        try {
            browser.switchTo().alert();
            throw new AssertionError("an alert opened: the payload ran");
        } catch (NoAlertPresentException expected) {
            // it stayed text
        }
        // The metadata filter of the runs page finds it by the same value, still as text.
        open("/runs?meta=note&value=" + java.net.URLEncoder.encode(payload, java.nio.charset.StandardCharsets.UTF_8));
        waitFor(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runs-table .run-row")));
        assertThat(browser.findElements(By.cssSelector("#runs-table .run-row"))).hasSize(1);
        assertThat(browser.findElement(By.cssSelector("#runs-table .run-row")).getText()).contains("xss-1");
    }

    @Test
    @Order(5)
    void nothingAnswersWithoutTheTokenAndChangesNeedTheCsrfToken() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        for (String path : List.of("/runs", "/run?uid=slow-1&workflow=release-train", "/api/run?uid=slow-1&workflow=release-train",
                "/static/console.js", "/plugins", "/runs?token=wrong")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(403);
            assertThat(r.body()).doesNotContain("slow-1");
        }
        HttpResponse<String> wrongCookie = http.send(HttpRequest.newBuilder(URI.create(base() + "/runs"))
                .header("Cookie", "orchestrator-console=not-the-token").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrongCookie.statusCode()).isEqualTo(403);

        // The printed URL: the token becomes an HttpOnly cookie and leaves the address.
        HttpResponse<String> first = http.send(HttpRequest.newBuilder(URI.create(console.url())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(303);
        assertThat(first.headers().firstValue("Location")).hasValue("/runs");
        String cookie = first.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
        String session = cookie.substring(0, cookie.indexOf(';'));
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base() + "/runs")).header("Cookie", session).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("script-src 'self'");
        // No credential reaches a page.
        assertThat(page.body()).doesNotContain("testing").doesNotContain("AWS_");

        // A change without the CSRF token, or with GET, is refused.
        HttpResponse<String> noCsrf = http.send(HttpRequest.newBuilder(URI.create(base() + "/action/cancel")).header("Cookie", session)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("uid=slow-1&workflow=release-train&reason=x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noCsrf.statusCode()).isEqualTo(403);
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base() + "/action/cancel?uid=slow-1&workflow=release-train&reason=x"))
                .header("Cookie", session).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        // A foreign Host (DNS rebinding) is refused even with the token.
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", console.port())) {
            raw.setSoTimeout(30_000);
            raw.getOutputStream().write(("GET /runs HTTP/1.1\r\nHost: evil.example:" + console.port() + "\r\nCookie: " + session
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(raw.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 403").doesNotContain("slow-1");
        }
        assertThat(WARNINGS.toString()).doesNotContain("warning"); // loopback: no warning
        // Every action left a log line with the run's keys and what the CLI said.
        assertThat(WARNINGS.toString()).contains("console action=cancel uid=hold-1 workflow=release-train exit=0");
    }

    @Test
    @Order(6)
    void theKnobsAFixedPortAndANonLoopbackBindThatWarns() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (ConsoleServer fixed = Console.open("web", stack.emulator.endpoint().toString(), stack.runtime.lambdaEndpoint(),
                stack.emulator.clientEnvironment(), "127.0.0.1", port, new PrintWriter(new StringWriter()))) {
            assertThat(fixed.url()).startsWith("http://127.0.0.1:" + port + "/runs?token=");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/runs"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(403);
        }
        // 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes first, then the refusal, and nothing listens.
        StringWriter warned = new StringWriter();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Console.open("web", stack.emulator.endpoint().toString(),
                stack.runtime.lambdaEndpoint(), stack.emulator.clientEnvironment(), "192.0.2.1", 0, new PrintWriter(warned, true))))
                .hasMessageContaining("cannot listen on 192.0.2.1:0");
        assertThat(warned.toString()).contains("warning: --bind 192.0.2.1 is not loopback");
    }

    static CliTest.Result cli(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--stack", "web", "--endpoint-url", stack.emulator.endpoint().toString(),
                "--lambda-endpoint-url", stack.runtime.lambdaEndpoint()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = dev.orchestrator.cli.Orchestrator.run(all.toArray(String[]::new), stack.emulator.clientEnvironment(),
                java.time.ZoneOffset.UTC, new PrintWriter(out), new PrintWriter(err));
        return new CliTest.Result(code, out.toString(), err.toString());
    }

    @Test
    @Order(7)
    void theCliSkipsOnePluginOfARunningRunAndSaysWhyWhenItCannot() {
        startRun("stuck-2", "release-train", "{}");
        stack.awaitCondition(PATIENCE, () -> stack.run("stuck-2", "release-train").map(r -> r.activity("Verify").stage(Stage.PARALLEL)
                .mandatory().containsKey("smoke-tests") && "In Progress".equals(r.activity("Verify").stage(Stage.PARALLEL)
                .mandatory().get("smoke-tests").state().wire())).orElse(false));
        CliTest.Result unknown = cli("plugin", "skip", "stuck-2", "release-train", "Verify", "parallel", "nope", "--reason", "x");
        assertThat(unknown.code()).isEqualTo(dev.orchestrator.cli.Exit.NOT_FOUND);
        assertThat(unknown.err()).contains("no plugin 'nope' in Verify parallel").contains("plugins there: smoke-tests");

        CliTest.Result skip = cli("plugin", "skip", "stuck-2", "release-train", "Verify", "parallel", "smoke-tests", "--reason",
                "covered by the canary");
        assertThat(skip.code()).as(skip.err()).isEqualTo(dev.orchestrator.cli.Exit.OK);
        assertThat(skip.out()).contains("Verify parallel smoke-tests -> Do Not Run (skipped by operator: covered by the canary)");
        assertThat(stack.awaitEnd("stuck-2", "release-train", PATIENCE).status()).isEqualTo(State.COMPLETE);

        CliTest.Result again = cli("plugin", "fail", "stuck-2", "release-train", "Verify", "parallel", "smoke-tests", "--reason", "x");
        assertThat(again.code()).isEqualTo(dev.orchestrator.cli.Exit.NO_CHANGE);
        assertThat(again.out()).contains("plugin smoke-tests is Do Not Run");
    }

    @Test
    @Order(8)
    void pluginsQueuesAndTenantsPagesAndTheScreenshots() throws Exception {
        open("/plugins");
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "deploy-us"));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("compile").contains("smoke-tests").contains("local-publish");
        open("/dlq");
        waitFor(ExpectedConditions.presenceOfElementLocated(By.id("dlq-table")));
        assertThat(browser.findElement(By.id("dlq-table")).getText()).contains("EngineDeadLetterQueue");
        open("/tenants");
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "Tenants"));

        // A few more runs for the pictures: one failing, one caught mid-flight in a DAG.
        startRun("fail-7", "release-train", "{\"tier\":\"gold\"}");
        startRun("shot-42", "release-train", "{\"tier\":\"gold\",\"region\":\"eu-west-1\",\"requestedBy\":\"ops\"}");
        stack.awaitEnd("fail-7", "release-train", PATIENCE);
        open(runPath("shot-42", "release-train"));
        waitFor(d -> d.findElements(By.cssSelector("svg#graph .node.st-in-progress[data-activity='Deploy']")).size() == 1
                && d.findElements(By.cssSelector("svg#graph .node.st-complete[data-activity='Verify']")).size() == 1);
        Path shots = Path.of(System.getProperty("console.screenshots", "target"));
        Files.createDirectories(shots);
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
        Files.write(shots.resolve("console-run.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        open("/runs");
        waitFor(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runs-table .run-row")));
        assertThat(browser.findElement(By.id("runs-table")).getText()).contains("shot-42").contains("fail-7").contains("slow-1");
        Files.write(shots.resolve("console-runs.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // Paging: two runs a page, following "Next page", lists every run once, newest first, as one big page does.
        List<String> all = uids();
        open("/runs?size=2");
        List<String> paged = new java.util.ArrayList<>();
        while (true) {
            waitFor(ExpectedConditions.presenceOfElementLocated(By.id("runs-table")));
            List<String> onPage = uids();
            assertThat(onPage.size()).isLessThanOrEqualTo(2);
            paged.addAll(onPage);
            List<WebElement> next = browser.findElements(By.id("next-page"));
            if (next.isEmpty()) {
                break;
            }
            String before = browser.getCurrentUrl();
            next.get(0).click();
            waitFor(d -> !d.getCurrentUrl().equals(before));
        }
        assertThat(all).hasSizeGreaterThanOrEqualTo(7);
        assertThat(paged).isEqualTo(all);

        // A DLQ peek, and resuming a run that ended in Error (it fails again: its compiler still fails).
        open("/dlq?name=EngineDeadLetterQueue");
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "EngineDeadLetterQueue: 0 message(s) peeked"));
        open(runPath("fail-7", "release-train"));
        waitFor(d -> runStatus().equals("Error"));
        confirm(browser.findElement(By.cssSelector("#live [data-confirm='/action/resume']")), null);
        assertThat(browser.findElement(By.cssSelector(".flash")).getText()).contains("fail-7 / release-train: resumed");
        assertThat(stack.awaitEnd("fail-7", "release-train", PATIENCE).status()).isEqualTo(State.ERROR);

        // Filters: by state.
        open("/runs?state=Complete");
        waitFor(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runs-table .run-row")));
        assertThat(browser.findElement(By.id("runs-table")).getText()).contains("slow-1").doesNotContain("fail-7");
    }
}
