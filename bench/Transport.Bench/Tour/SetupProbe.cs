using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Transport.Bench.Quic;
using Transport.Quic;
using Transport.Quic.Qlog;
using Transport.Quic.Tls;

namespace Transport.Bench.Tour;

/// <summary>
/// <c>dotnet run -c Release --project bench/Transport.Bench -- setupprobe [rttMs] [count] [qlogDir]</c>: the setup
/// section's QUIC runs (1-RTT, then 0-RTT with the previous ticket) over the same <see cref="EmulatedPath"/>, one at a
/// time, each with a qlog trace of both sides in <c>qlogDir</c>; prints every run's time to the first response byte and
/// the wall-clock (Unix ms) start, to line up with the traces. A diagnostic for where setup time goes, not a comparison.
/// </summary>
internal static class SetupProbe
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "prims") return Primitives();
        if (args.Length > 0 && args[0] == "cpu") return Cpu(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200);
        int rttMs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        int count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        string dir = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "setupprobe");
        Directory.CreateDirectory(dir);
        return RunAsync(TimeSpan.FromMilliseconds(rttMs), count, dir).GetAwaiter().GetResult();
    }

    /// <summary>
    /// <c>setupprobe cpu [count]</c>: the CPU time (this thread's clock) of each step on the critical path of a 1-RTT and
    /// a 0-RTT handshake between two cores in memory: client creation (ClientHello), the server's ClientHello
    /// processing and first flight, the client's processing of it (Finished out), the server's processing of the Finished.
    /// </summary>
    private static int Cpu(int count)
    {
        using var peers = new TourPeers();
        var client = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.1"), 50000);
        var server = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.2"), 4433);
        string[] steps = ["client create + Initial", "server ClientHello -> first flight", "client flight -> Finished", "server Finished"];
        TlsSessionTicket? ticket = null;
        foreach (bool resume in new[] { false, true })
        {
            var sums = new double[steps.Length];
            var buffer = new byte[65536];
            var now = Transport.Core.Time.Instant.FromMilliseconds(1000);
            for (int i = -20; i < count; i++)
            {
                var datagrams = new List<byte[]>();
                long t = ThreadCpuClock.NowNanoseconds();
                var measured = new double[steps.Length];
                using var c = Transport.Quic.Connection.QuicConnectionCore.CreateClient(peers.QuicClientOptions(resume ? ticket : null), server, now);
                if (resume && c.TryOpenStream(true, out long sid)) c.WriteStream(sid, "x"u8);
                Drain(c, datagrams, buffer, now);
                measured[0] = Lap(ref t);
                using var s = Transport.Quic.Connection.QuicConnectionCore.CreateServer(peers.QuicServerOptions(), client, c.OriginalDestinationConnectionId, now);
                foreach (var d in datagrams) s.HandleDatagram(now, client, d);
                datagrams.Clear();
                Drain(s, datagrams, buffer, now);
                measured[1] = Lap(ref t);
                foreach (var d in datagrams) c.HandleDatagram(now, server, d);
                datagrams.Clear();
                Drain(c, datagrams, buffer, now);
                measured[2] = Lap(ref t);
                foreach (var d in datagrams) s.HandleDatagram(now, client, d);
                datagrams.Clear();
                Drain(s, datagrams, buffer, now);
                measured[3] = Lap(ref t);
                foreach (var d in datagrams) c.HandleDatagram(now, server, d);
                if (!c.IsHandshakeComplete || !s.IsHandshakeComplete) throw new InvalidOperationException("handshake did not complete");
                if (!resume) ticket = c.SessionTicket ?? ticket;
                if (i >= 0) for (int k = 0; k < steps.Length; k++) sums[k] += measured[k];
            }
            Console.WriteLine($"{(resume ? "0-RTT" : "1-RTT")} handshake, CPU ms per step (mean of {count}):");
            for (int k = 0; k < steps.Length; k++) Console.WriteLine($"  {steps[k],-40} {sums[k] / count:F3}");
        }
        return 0;

        static double Lap(ref long t)
        {
            long n = ThreadCpuClock.NowNanoseconds();
            double ms = (n - t) / 1e6;
            t = n;
            return ms;
        }

        static void Drain(Transport.Quic.Connection.QuicConnectionCore conn, List<byte[]> into, byte[] buffer, Transport.Core.Time.Instant now)
        {
            int n;
            while ((n = conn.PollTransmit(now, buffer, out _)) > 0) into.Add(buffer.AsSpan(0, n).ToArray());
            while (conn.PollEvent(out _)) { }
        }
    }

    /// <summary><c>setupprobe prims</c>: CPU ms of the handshake's public-key and certificate operations, one at a time.</summary>
    private static int Primitives()
    {
        var cert = TourTls.CreateCertificate();
        byte[] der = cert.RawData;
        byte[] content = new byte[130];
        using var signer = cert.GetECDsaPrivateKey()!;
        byte[] sig = signer.SignData(content, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var ops = new (string Name, Action Op)[]
        {
            ("X509CertificateLoader.LoadCertificate", () => System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der).Dispose()),
            ("load + GetECDsaPublicKey + VerifyData", () =>
            {
                using var c = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
                using var k = c.GetECDsaPublicKey()!;
                if (!k.VerifyData(content, sig, System.Security.Cryptography.HashAlgorithmName.SHA256)) throw new InvalidOperationException();
            }),
            ("ECDSA P-256 SignData (private key cached)", () => signer.SignData(content, System.Security.Cryptography.HashAlgorithmName.SHA256)),
            ("GetECDsaPrivateKey + SignData", () => { using var k = cert.GetECDsaPrivateKey()!; k.SignData(content, System.Security.Cryptography.HashAlgorithmName.SHA256); }),
            ("X25519 key share + derive", () =>
            {
                using var a = new Transport.Quic.Tls.KeyShare(Transport.Quic.Tls.TlsNamedGroup.X25519);
                using var b = new Transport.Quic.Tls.KeyShare(Transport.Quic.Tls.TlsNamedGroup.X25519);
                a.DeriveSharedSecret(b.PublicKey);
            }),
            ("P-256 key share + derive", () =>
            {
                using var a = new Transport.Quic.Tls.KeyShare(Transport.Quic.Tls.TlsNamedGroup.Secp256r1);
                using var b = new Transport.Quic.Tls.KeyShare(Transport.Quic.Tls.TlsNamedGroup.Secp256r1);
                a.DeriveSharedSecret(b.PublicKey);
            }),
            ("SHA-256 pin of the certificate", () => Transport.Quic.Tls.TlsClientOptions.ComputeCertificatePin(cert)),
        };
        foreach (var (name, op) in ops)
        {
            for (int i = 0; i < 20; i++) op();
            long t = ThreadCpuClock.NowNanoseconds();
            for (int i = 0; i < 200; i++) op();
            Console.WriteLine($"  {name,-45} {(ThreadCpuClock.NowNanoseconds() - t) / 200 / 1e6:F3} ms");
        }
        return 0;
    }

    private static async Task<int> RunAsync(TimeSpan rtt, int count, string dir)
    {
        using var peers = new TourPeers();
        using var path = new EmulatedPath(rtt, 0, 1);
        var serverOptions = peers.QuicServerOptions();
        serverOptions.Qlog = new QlogFileFactory(dir);
        var earlyOptions = peers.QuicServerOptions();
        earlyOptions.Qlog = new QlogFileFactory(dir);
        await using var one = new QuicEchoServer(path.CreateQuicListener(serverOptions));
        await using var zero = new QuicEchoServer(path.CreateQuicListener(earlyOptions, acceptBeforeHandshakeCompletes: true));
        await using QuicClientEndpoint client = path.CreateQuicClientEndpoint();
        var oneTarget = path.QuicTarget(one.EndPoint);
        var zeroTarget = path.QuicTarget(zero.EndPoint);
        Console.WriteLine($"path: {(path.IsNamespaceLink ? "namespace link" : "loopback relay")}, RTT {rtt.TotalMilliseconds} ms, qlog in {dir}");
        TlsSessionTicket? ticket = null;
        var samples = new[] { new List<double>(), new List<double>() };
        for (int i = -1; i < count; i++)
        {
            foreach (bool resume in new[] { false, true })
            {
                if (resume && ticket is null) continue;
                var options = peers.QuicClientOptions(resume ? ticket : null);
                options.Qlog = new QlogFileFactory(dir);
                long unixStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                long t0 = Stopwatch.GetTimestamp();
                QuicConnection c = await client.ConnectAsync(new QuicClientConnectionOptions
                {
                    RemoteEndPoint = resume ? zeroTarget : oneTarget, ConnectionOptions = options, AllowEarlyData = resume,
                }).ConfigureAwait(false);
                double connected = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                byte[] b = [42];
                double first;
                await using (QuicStream s = await c.OpenOutboundStreamAsync(true).ConfigureAwait(false))
                {
                    await s.WriteAsync(b).ConfigureAwait(false);
                    double written = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    if (await s.ReadAsync(b).ConfigureAwait(false) != 1) throw new EndOfStreamException();
                    first = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    s.CompleteWrites();
                    Console.WriteLine($"{(resume ? "0-RTT" : "1-RTT")} #{i}: start {unixStart} connected {connected:F1} written {written:F1} first byte {first:F1} ms");
                }
                if (i >= 0) samples[resume ? 1 : 0].Add(first);
                ticket = await c.WaitForSessionTicketAsync().ConfigureAwait(false);
                await c.CloseAsync(0).ConfigureAwait(false);
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }
        foreach (var (name, list) in new[] { ("1-RTT", samples[0]), ("0-RTT", samples[1]) })
        {
            list.Sort();
            if (list.Count > 0) Console.WriteLine($"{name}: p50 {SetupSection.Percentile(list, 0.5):F1} ms, min {list[0]:F1}, max {list[^1]:F1}");
        }
        return 0;
    }
}
