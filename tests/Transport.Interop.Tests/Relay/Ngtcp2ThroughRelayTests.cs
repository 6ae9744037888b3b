using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Interop.Relay;
using Xunit.Abstractions;

namespace Transport.Interop.Tests.Relay;

/// <summary>
/// Debian's ngtcp2 client and server (HTTP/3) talking through the relay: a real QUIC stack under the runner's scenarios.
/// Skipped with a message when ngtcp2-client / ngtcp2-server are not installed.
/// </summary>
public class Ngtcp2ThroughRelayTests(ITestOutputHelper output)
{
    private const string Server = "/usr/sbin/gtlsserver", Client = "/usr/bin/gtlsclient";

    [Theory]
    [InlineData("simple-p2p --delay=15ms --bandwidth=10Mbps --queue=25", 1)]
    // As in the runner, the first rebinding comes after the handshake (a rebinding during the handshake is fatal to QUIC:
    // RFC 9000 §9 forbids migrating before the handshake is confirmed); 2 MB keep the transfer going past it.
    [InlineData("rebind --delay=15ms --bandwidth=10Mbps --queue=25 --first-rebind=1s --rebind-freq=1s", 2)]
    [InlineData("drop-rate --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server=2 --rate_to_client=2 --burst_to_server=3 --burst_to_client=3", 1)]
    public void Ngtcp2DownloadsThroughTheScenario(string scenario, int megabytes)
    {
        if (!File.Exists(Server) || !File.Exists(Client))
        {
            output.WriteLine("ngtcp2 is not installed: skipped (apt-get install ngtcp2-client ngtcp2-server to run it).");
            return;
        }
        string dir = Directory.CreateTempSubdirectory("relay-ngtcp2").FullName;
        Process? server = null;
        try
        {
            string www = Directory.CreateDirectory(Path.Combine(dir, "www")).FullName;
            string downloads = Directory.CreateDirectory(Path.Combine(dir, "downloads")).FullName;
            byte[] file = new byte[megabytes << 20];
            new Random(3).NextBytes(file);
            File.WriteAllBytes(Path.Combine(www, "quick-brown-fox"), file);
            using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                var request = new CertificateRequest("CN=server4", key, HashAlgorithmName.SHA256);
                var san = new SubjectAlternativeNameBuilder();
                san.AddDnsName("server4");
                request.CertificateExtensions.Add(san.Build());
                using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
                File.WriteAllText(Path.Combine(dir, "priv.key"), key.ExportPkcs8PrivateKeyPem());
                File.WriteAllText(Path.Combine(dir, "cert.pem"), cert.ExportCertificatePem());
            }
            int serverPort = FreeUdpPort();
            server = Start(Server, $"-q -d {www} 127.0.0.1 {serverPort} {dir}/priv.key {dir}/cert.pem");
            string left = Path.Combine(dir, "left.pcap"), right = Path.Combine(dir, "right.pcap");
            using var relay = new UdpRelay(new UdpRelayOptions
            {
                ServerEndPoint = new IPEndPoint(IPAddress.Loopback, serverPort),
                Scenario = RelayScenario.Parse(scenario),
                Seed = 11,
                ClientPcapPath = left,
                ServerPcapPath = right,
                Lifetime = TimeSpan.FromSeconds(60),
            });
            int port = relay.ListenEndPoint.Port;
            var sw = Stopwatch.StartNew();
            using (var client = Start(Client, $"-q --exit-on-all-streams-close --download={downloads} 127.0.0.1 {port} https://server4:{port}/quick-brown-fox"))
            {
                bool exited = client.WaitForExit(45_000);
                if (!exited)
                {
                    client.Kill();
                    client.WaitForExit();
                }
                Assert.True(exited, "gtlsclient did not finish in 45 s");
                output.WriteLine($"{scenario}: client exit {client.ExitCode} after {sw.Elapsed.TotalSeconds:F2} s");
            }
            relay.Dispose();
            output.WriteLine(relay.Statistics.ToString());
            Assert.Equal(file, File.ReadAllBytes(Path.Combine(downloads, "quick-brown-fox")));
            // Loose sanity: a megabyte cannot cross a 10 Mbit/s link in less than 0.84 s.
            Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.84 * megabytes), $"{megabytes} MB in {sw.Elapsed.TotalSeconds} s through 10 Mbit/s");
            var scenarioObject = relay.Scenario;
            if (scenarioObject.FirstRebind is not null) Assert.True(relay.Statistics.Rebindings >= 1);
            if (scenarioObject.ToServer.DropRatePercent > 0) Assert.True(relay.Statistics.ToClient.RandomDrops + relay.Statistics.ToServer.RandomDrops > 0);

            if (File.Exists("/usr/bin/tshark"))
            {
                // The capture decodes as QUIC: the client's first Initial (tshark decrypts Initials without keys).
                string text = RunTshark($"-r {left} -d udp.port=={port},quic -Y \"quic.long.packet_type == 0\" -T fields -e udp.srcport -e quic.version");
                string first = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
                Assert.EndsWith("\t0x00000001", first);
            }
        }
        finally
        {
            if (server is not null)
            {
                if (!server.HasExited) server.Kill();
                server.WaitForExit();
                server.Dispose();
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static Process Start(string path, string arguments)
    {
        var psi = new ProcessStartInfo(path, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static string RunTshark(string arguments)
    {
        var psi = new ProcessStartInfo("/usr/bin/tshark", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["HOME"] = Path.GetTempPath();
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            p.WaitForExit();
            Assert.Fail("tshark did not finish in 30 s");
        }
        Assert.True(p.ExitCode == 0, $"tshark exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
