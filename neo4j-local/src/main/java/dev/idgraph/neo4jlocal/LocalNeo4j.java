package dev.idgraph.neo4jlocal;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * A local Neo4j 5.26 server for development and tests: the embedded DBMS with
 * only the Bolt connector, on 127.0.0.1, without authentication.
 *
 * <pre>
 *   java -cp 'target/neo4j-local.jar:target/dependency/*' dev.idgraph.neo4jlocal.LocalNeo4j \
 *       --data-dir DIR --port PORT [--pagecache SIZE]
 * </pre>
 *
 * SIZE is the page cache ({@code 512m}, {@code 2g}; default 256m): tools/neo4j_local.py
 * sizes it to the store. The heap is the JVM's ({@code -Xms}/{@code -Xmx}).
 *
 * (target/classes in place of the jar works too.) On Java 17 also pass
 * {@code --add-opens=java.base/java.nio=ALL-UNNAMED},
 * {@code --add-opens=java.base/java.io=ALL-UNNAMED},
 * {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED} and
 * {@code --enable-native-access=ALL-UNNAMED}, or the page cache runs in a slower
 * fallback mode and debug.log fills with warnings; graph/neo4j_local.py does.
 *
 * DIR is the Neo4j home: the store goes to DIR/data, Neo4j's debug log to
 * DIR/logs. PORT 0 lets the OS choose a port. When Bolt accepts connections it
 * prints exactly one line {@code NEO4J_READY bolt://127.0.0.1:PORT} (with the
 * real port) to stdout, then blocks until SIGTERM/SIGINT, on which the shutdown
 * hook shuts the DBMS down cleanly (store checkpointed, so the next start does
 * no recovery).
 */
public final class LocalNeo4j {
    private static final String HOST = "127.0.0.1";

    private LocalNeo4j() {}

    public static void main(String[] args) throws Exception {
        Path dataDir = null;
        Integer port = null;
        long pageCache = ByteUnit.mebiBytes(256);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, arg));
                case "--port" -> port = parsePort(value(args, ++i, arg));
                case "--pagecache" -> pageCache = parseSize(value(args, ++i, arg));
                case "-h", "--help" -> {
                    usage(System.out);
                    return;
                }
                default -> fail("unknown argument: " + arg);
            }
        }
        if (dataDir == null) {
            fail("--data-dir is required");
        }
        if (port == null) {
            fail("--port is required (0 picks a free one)");
        }
        dataDir = dataDir.toAbsolutePath().normalize();
        Files.createDirectories(dataDir);

        // Neo4j's user log (startup, "Bolt enabled on ...", errors) goes to
        // stderr; stdout carries nothing but the ready line.
        DatabaseManagementService managementService = new DatabaseManagementServiceBuilder(dataDir)
                .setUserLogProvider(new Log4jLogProvider(System.err, Level.INFO))
                // Bolt only, loopback only, no auth, no TLS.
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                // Internal settings. The in-process "bolt-local" connector is
                // only used for routing between cluster members / composite
                // databases; without it there is also no netty SO_REUSEADDR
                // warning. Every stop sat out both shutdown waits at their
                // defaults, even with no client connected.
                .setConfig(BoltConnectorInternalSettings.enable_local_connector, false)
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                // The page cache as the launcher sized it to the store; the heap
                // is set by the JVM flags (-Xms/-Xmx) of whoever launches this.
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .setConfig(
                        GraphDatabaseSettings.tx_state_memory_allocation,
                        GraphDatabaseSettings.TransactionStateMemoryAllocation.ON_HEAP)
                // Reload the pages the last run had in memory after a restart.
                .setConfig(GraphDatabaseSettings.pagecache_warmup_enabled, true)
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(64))
                // No usage-data reporting: there is no internet here anyway.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                System.err.println("NEO4J_STOPPING");
                                managementService.shutdown();
                                System.err.println("NEO4J_STOPPED");
                            } catch (Throwable t) {
                                t.printStackTrace();
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "neo4j-local-shutdown"));

        GraphDatabaseService db = managementService.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(TimeUnit.MINUTES.toMillis(5))) {
            System.err.println("database " + GraphDatabaseSettings.DEFAULT_DATABASE_NAME + " did not become available");
            System.exit(3);
        }
        int boltPort = boundBoltPort(db, port);

        System.out.println("NEO4J_READY bolt://" + HOST + ":" + boltPort);
        System.out.flush();

        // Block until the shutdown hook has run (SIGTERM/SIGINT).
        stopped.await();
    }

    /** The port Bolt really listens on (differs from the configured one when that was 0). */
    private static int boundBoltPort(GraphDatabaseService db, int configured) {
        if (db instanceof GraphDatabaseAPI api) {
            HostnamePort address = api.getDependencyResolver()
                    .resolveDependency(ConnectorPortRegister.class)
                    .getLocalAddress(ConnectorType.BOLT);
            if (address != null) {
                return address.getPort();
            }
        }
        return configured;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            fail(flag + " needs a value");
        }
        return args[i];
    }

    private static int parsePort(String text) {
        try {
            int p = Integer.parseInt(text);
            if (p < 0 || p > 65535) {
                fail("port out of range: " + text);
            }
            return p;
        } catch (NumberFormatException e) {
            fail("not a port number: " + text);
            return -1; // unreachable
        }
    }

    private static long parseSize(String text) {
        try {
            return ByteUnit.parse(text);
        } catch (IllegalArgumentException e) {
            fail("not a size (like 512m or 2g): " + text);
            return -1; // unreachable
        }
    }

    private static void usage(PrintStream out) {
        out.println("usage: LocalNeo4j --data-dir DIR --port PORT [--pagecache SIZE]   (PORT 0 = any free port)");
    }

    private static void fail(String message) {
        System.err.println("LocalNeo4j: " + message);
        usage(System.err);
        System.exit(2);
    }
}
