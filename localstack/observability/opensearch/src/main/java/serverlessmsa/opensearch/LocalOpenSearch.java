package serverlessmsa.opensearch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One single-node OpenSearch cluster inside this JVM, for the local platform and the tests.
 *
 * <p>Node's public constructor loads plugins from a plugins folder only; the protected one takes
 * plugin classes, which is how the HTTP transport, the analyzers and painless come from the
 * classpath here (no tarball, no plugin install).
 *
 * <p>Usage: {@code java LocalOpenSearch <home> [port]}. It binds 127.0.0.1 (port 0, the default,
 * picks a free one), prints {@code opensearch ready http://127.0.0.1:<port>} when the cluster
 * answers, and stops when its standard input ends: the process that started it owns it, and a
 * crashed parent leaves no node behind.
 */
public final class LocalOpenSearch extends Node {
  private static final List<Class<? extends Plugin>> PLUGINS =
      List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class);

  private LocalOpenSearch(Settings settings) {
    super(
        InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), null, () -> "local"),
        PLUGINS,
        true);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: LocalOpenSearch <home> [port]");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    String port = args.length > 1 ? args[1] : "0";
    Files.createDirectories(home.resolve("data"));
    Files.createDirectories(home.resolve("logs"));
    Settings settings =
        Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "serverless-msa-local")
            .put("node.name", "local")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", "0")
            // A developer's disk is often fuller than a server's: do not turn indices read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true)
            .build();
    LogConfigurator.configureWithoutConfig(settings);

    LocalOpenSearch node = new LocalOpenSearch(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(node)));
    node.start();
    TransportAddress bound =
        node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
    System.out.println("opensearch ready http://127.0.0.1:" + bound.getPort());
    System.out.flush();

    // The parent holds our standard input open for as long as it wants the node.
    InputStream in = System.in;
    byte[] buffer = new byte[256];
    try {
      while (in.read(buffer) >= 0) {
        // nothing is read from it; end of input is the signal
      }
    } catch (IOException ignored) {
      // a closed pipe ends the node too
    }
    System.exit(0);
  }

  private static void closeQuietly(Node node) {
    try {
      node.close();
    } catch (IOException ignored) {
      // exiting anyway
    }
  }
}
