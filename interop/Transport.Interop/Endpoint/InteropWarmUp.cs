using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Transport.Interop.Endpoint;

/// <summary>
/// Warms a server process up before it starts listening: one in-process hq-interop and one HTTP/3 download over
/// loopback, between a throw-away <see cref="InteropServer"/> with the real certificate chain (CERTS) and our client,
/// so the first real client finds the TLS, certificate, packet and stream code compiled and its caches filled. A fresh
/// process otherwise answered the first Initial about 0.5 s late (JIT plus encoding a 9-certificate chain), which
/// stretched gtlsclient's handshake past its 10 s timeout in amplificationlimit and the handshake past the first NAT
/// rebinding at 1 s. The runner starts the client only after the server's port answers, so this costs no test time.
/// Nothing of it is written to the key log, QLOGDIR, WWW or DOWNLOADS. WARMUP=0 disables it.
/// </summary>
public static class InteropWarmUp
{
    /// <summary>The whole warm-up gives up after this (the runner's wait-for-it allows the server 10 s).</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(4);

    /// <summary>Whether WARMUP (environment) allows it: anything but "0".</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("WARMUP") != "0";

    /// <summary>
    /// Runs the warm-up for a server configured by <paramref name="config"/> playing <paramref name="testCase"/>; returns
    /// how long it took. Never throws for a failed warm-up (the real server starts anyway).
    /// </summary>
    public static async Task<TimeSpan> RunAsync(EndpointConfig config, InteropTestCase testCase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(testCase);
        var clock = Stopwatch.StartNew();
        string dir = Path.Combine(Path.GetTempPath(), "transport-warmup-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        try
        {
            string www = Path.Combine(dir, "www"), downloads = Path.Combine(dir, "downloads");
            Directory.CreateDirectory(www);
            Directory.CreateDirectory(downloads);
            // Several packets' worth, so stream flow and acknowledgments run too.
            File.WriteAllBytes(Path.Combine(www, "warm-up-file"), new byte[48 * 1024]);
            // The same cipher suites as the real run (chacha20 offers only ChaCha20-Poly1305); otherwise plain transfer.
            string name = testCase.ChaCha20Only ? "chacha20" : "transfer";
            var serverConfig = new EndpointConfig
            {
                Role = "server", TestCase = name, Www = www, Certs = config.Certs, Port = 0, ListenAddress = IPAddress.Loopback,
            };
            await using InteropServer server = await InteropServer.StartAsync(serverConfig, InteropTestCase.ForServer(name)!, null, deadline.Token)
                .ConfigureAwait(false);
            foreach (string alpn in new[] { InteropTestCase.HqInterop, InteropTestCase.H3 })
            {
                var clientConfig = new EndpointConfig
                {
                    Role = "client", TestCase = name, Downloads = downloads, Alpn = alpn, Timeout = Deadline,
                    ConnectTo = server.LocalEndPoint.ToString(), Requests = [new Uri("https://server4:443/warm-up-file")],
                };
                await InteropClient.RunAsync(clientConfig, InteropTestCase.ForClient(name)!, TextWriter.Null, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A warm-up that fails or times out only means a colder start.
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return clock.Elapsed;
    }
}
