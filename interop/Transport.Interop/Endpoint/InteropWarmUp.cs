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
    /// The background JIT counts as settled when no method was compiled for this long: above the runtime's 100 ms
    /// call-counting delay (TC_CallCountingDelayMs), after which hot methods are queued for their tier-1 rejit.
    /// </summary>
    public static readonly TimeSpan JitQuietPeriod = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the compiled-method count is read while waiting for the JIT to settle.</summary>
    public static readonly TimeSpan JitPollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The warm-up (downloads plus waiting for the JIT) ends at the latest this long after the process started, so the
    /// server listens well inside the runner's 10 s wait-for-it even on a loaded machine.
    /// </summary>
    public static readonly TimeSpan ListenBy = TimeSpan.FromSeconds(7);

    /// <summary>What a warm-up did: its whole duration, the part spent waiting for the JIT, and whether it went quiet.</summary>
    public readonly record struct Outcome(TimeSpan Elapsed, TimeSpan JitWait, long MethodsCompiledWhileWaiting, bool JitSettled)
    {
        /// <summary>One line for the server's log.</summary>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"warmed up in {Elapsed.TotalMilliseconds:F0} ms (JIT {(JitSettled ? "settled" : "still busy")} after {JitWait.TotalMilliseconds:F0} ms more, {MethodsCompiledWhileWaiting} methods compiled meanwhile)");
    }

    /// <summary>
    /// Runs the warm-up for a server configured by <paramref name="config"/> playing <paramref name="testCase"/>, then
    /// waits until the runtime's background (tier-1) JIT has gone quiet; returns what it did. Never throws for a failed
    /// warm-up (the real server starts anyway).
    /// </summary>
    /// <remarks>
    /// Why wait for the JIT: the warm-up calls the per-packet code often enough that the runtime recompiles it
    /// (ReadyToRun/tier-0 code → tier 1, with an instrumented tier between when TieredPGO is on) on its background
    /// thread, starting 100 ms after the last new method and taking 0.2-0.35 s of CPU on this project's machine. Listening
    /// at once put that burst exactly where the first real Initial arrives: measured with perf on a fresh server, 90 % of
    /// the process's CPU while gtlsclient connected was the ".NET Tiered Compilation" thread. On a loaded 2-core machine it
    /// competes with the handshake (and with the relay and the client), and installing tier-1 code briefly suspends the
    /// runtime.
    /// </remarks>
    public static async Task<Outcome> RunAsync(EndpointConfig config, InteropTestCase testCase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(testCase);
        var clock = Stopwatch.StartNew();
        await DownloadAsync(config, testCase, cancellationToken).ConfigureAwait(false);
        TimeSpan downloads = clock.Elapsed;
        TimeSpan limit = ListenBy - SinceProcessStart();
        (TimeSpan waited, long methods, bool settled) = await WaitForJitQuietAsync(
            static () => System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false), JitPollInterval, JitQuietPeriod,
            limit, static (d, ct) => Task.Delay(d, ct), cancellationToken).ConfigureAwait(false);
        return new Outcome(downloads + waited, waited, methods, settled);
    }

    /// <summary>
    /// Reads <paramref name="compiledMethods"/> every <paramref name="poll"/> until it has not changed for
    /// <paramref name="quietPeriod"/>, or <paramref name="limit"/> has passed (then Settled is false), or
    /// <paramref name="cancellationToken"/> fires (Settled false). Returns the time waited (counted in polls), how much
    /// the count grew, and whether it went quiet.
    /// </summary>
    public static async Task<(TimeSpan Waited, long Methods, bool Settled)> WaitForJitQuietAsync(Func<long> compiledMethods,
        TimeSpan poll, TimeSpan quietPeriod, TimeSpan limit, Func<TimeSpan, CancellationToken, Task> delay,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compiledMethods);
        ArgumentNullException.ThrowIfNull(delay);
        if (poll <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(poll), poll, "The poll interval must be positive.");
        long first = compiledMethods(), last = first;
        TimeSpan waited = TimeSpan.Zero, quiet = TimeSpan.Zero;
        while (quiet < quietPeriod)
        {
            if (waited >= limit) return (waited, last - first, false);
            try { await delay(poll, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { return (waited, last - first, false); }
            waited += poll;
            long now = compiledMethods();
            quiet = now == last ? quiet + poll : TimeSpan.Zero;
            last = now;
        }
        return (waited, last - first, true);
    }

    private static TimeSpan SinceProcessStart()
    {
        try { return DateTime.Now - Process.GetCurrentProcess().StartTime; }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception) { return TimeSpan.Zero; }
    }

    /// <summary>The downloads: one hq-interop and one HTTP/3, against a throw-away server shaped like the real one.</summary>
    private static async Task DownloadAsync(EndpointConfig config, InteropTestCase testCase, CancellationToken cancellationToken)
    {
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
            // Shaped like the real server, so its first connection runs no code the warm-up skipped: the same address
            // family (a dual-stack wildcard sees IPv4 clients as mapped addresses), and a key log and qlog when the real
            // one writes them (into the throw-away folder).
            bool dualStack = config.ListenAddress.Equals(IPAddress.IPv6Any);
            var serverConfig = new EndpointConfig
            {
                Role = "server", TestCase = name, Www = www, Certs = config.Certs, Port = 0,
                ListenAddress = dualStack ? IPAddress.IPv6Any
                    : config.ListenAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback,
                KeyLogFile = config.KeyLogFile is null ? null : Path.Combine(dir, "keys.log"),
                QlogDirectory = config.QlogDirectory is null ? null : Directory.CreateDirectory(Path.Combine(dir, "qlog")).FullName,
            };
            await using InteropServer server = await InteropServer.StartAsync(serverConfig, InteropTestCase.ForServer(name)!, null, deadline.Token)
                .ConfigureAwait(false);
            var target = new IPEndPoint(dualStack ? IPAddress.Loopback : server.LocalEndPoint.Address, server.LocalEndPoint.Port);
            foreach (string alpn in new[] { InteropTestCase.HqInterop, InteropTestCase.H3 })
            {
                var clientConfig = new EndpointConfig
                {
                    Role = "client", TestCase = name, Downloads = downloads, Alpn = alpn, Timeout = Deadline,
                    ConnectTo = target.ToString(), Requests = [new Uri("https://server4:443/warm-up-file")],
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
    }
}
