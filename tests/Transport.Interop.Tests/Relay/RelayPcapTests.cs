using System.Diagnostics;
using System.Net;
using Transport.Interop.Relay;
using Xunit.Abstractions;

namespace Transport.Interop.Tests.Relay;

public class RelayPcapTests(ITestOutputHelper output)
{
    private static byte[] VersionNegotiation(byte tag)
    {
        // RFC 9000 §17.2.1 Version Negotiation: 0x80|x, version 0, DCID (8), SCID (8), versions 1 and 0x6b3343cf.
        byte[] d = [0xC3, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, tag, 8, 9, 9, 9, 9, 9, 9, 9, tag, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf];
        return d;
    }

    [Fact]
    public void CapturesBothSidesWithRealAddressesAndTsharkReadsThem()
    {
        string dir = Directory.CreateTempSubdirectory("relay-pcap").FullName;
        try
        {
            string left = Path.Combine(dir, "trace_node_left.pcap"), right = Path.Combine(dir, "trace_node_right.pcap");
            using var server = new UdpTestPeer(echo: true);
            using var client = new UdpTestPeer();
            IPEndPoint listen, upstream;
            long before = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
            using (var relay = new UdpRelay(new UdpRelayOptions
            {
                ServerEndPoint = server.EndPoint,
                Scenario = RelayScenario.Perfect with { ToServer = new RelayDirectionConditions { DropList = new HashSet<int> { 2 } } },
                ClientPcapPath = left,
                ServerPcapPath = right,
            }))
            {
                listen = relay.ListenEndPoint;
                for (byte i = 1; i <= 3; i++) client.Send(VersionNegotiation(i), listen);
                Assert.Equal(2, client.ReceiveMany(2, TimeSpan.FromSeconds(1)).Count);
                upstream = Assert.Single(relay.UpstreamEndPoints);
            }
            long after = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;

            // Client side: 3 datagrams in (one of them is then dropped by the droplist), 2 echoes out.
            var l = PcapFile.Read(left);
            Assert.Equal(5, l.Count);
            Assert.Equal(3, l.Count(r => r.Source.Equals(client.EndPoint) && r.Destination.Equals(listen)));
            Assert.Equal(2, l.Count(r => r.Source.Equals(listen) && r.Destination.Equals(client.EndPoint)));
            Assert.Equal(VersionNegotiation(2), l.Where(r => r.Source.Equals(client.EndPoint)).ElementAt(1).Payload);
            // Server side: only the 2 that got through, and their echoes, between the upstream socket and the server.
            var r2 = PcapFile.Read(right);
            Assert.Equal(4, r2.Count);
            Assert.Equal(2, r2.Count(r => r.Source.Equals(upstream) && r.Destination.Equals(server.EndPoint)));
            Assert.Equal(2, r2.Count(r => r.Source.Equals(server.EndPoint) && r.Destination.Equals(upstream)));
            Assert.Equal([VersionNegotiation(1), VersionNegotiation(3)], r2.Where(r => r.Source.Equals(upstream)).Select(r => r.Payload));
            Assert.Equal([VersionNegotiation(1), VersionNegotiation(3)], r2.Where(r => r.Source.Equals(server.EndPoint)).Select(r => r.Payload));
            foreach (var records in new[] { l, r2 })
            {
                Assert.All(records, r => Assert.InRange(r.UnixMicroseconds, before - 1000, after + 1000));
                Assert.Equal(records.Select(r => r.UnixMicroseconds).Order(), records.Select(r => r.UnixMicroseconds));
            }

            if (!File.Exists("/usr/bin/tshark"))
            {
                output.WriteLine("tshark is not installed: skipping the tshark part (apt-get install tshark to run it).");
                return;
            }
            string text = Tshark($"-r {left} -d udp.port=={listen.Port},quic -T fields -e ip.src -e udp.srcport -e ip.dst -e udp.dstport -e quic.version -e quic.supported_version");
            output.WriteLine(text);
            string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(5, lines.Length);
            Assert.Equal($"127.0.0.1\t{client.EndPoint.Port}\t127.0.0.1\t{listen.Port}\t0x00000000\t0x00000001,0x6b3343cf", lines[0]);
            Assert.Equal(3, lines.Count(x => x.StartsWith($"127.0.0.1\t{client.EndPoint.Port}\t", StringComparison.Ordinal)));
            string right2 = Tshark($"-r {right} -d udp.port=={server.EndPoint.Port},quic -T fields -e udp.srcport -e quic.version");
            Assert.Equal(4, right2.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.All(right2.Split('\n', StringSplitOptions.RemoveEmptyEntries), x => Assert.EndsWith("\t0x00000000", x));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Tshark(string arguments)
    {
        var psi = new ProcessStartInfo("/usr/bin/tshark", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["HOME"] = Path.GetTempPath();
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            process.WaitForExit();
            Assert.Fail("tshark did not finish in 30 s");
        }
        Assert.True(process.ExitCode == 0, $"tshark exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    [Fact]
    public void RelaysAndCapturesIpv6()
    {
        if (!System.Net.Sockets.Socket.OSSupportsIPv6)
        {
            output.WriteLine("IPv6 is not available on this machine: skipped.");
            return;
        }
        string dir = Directory.CreateTempSubdirectory("relay-pcap6").FullName;
        try
        {
            string left = Path.Combine(dir, "left.pcap"), right = Path.Combine(dir, "right.pcap");
            using var server = new UdpTestPeer(echo: true, address: IPAddress.IPv6Loopback);
            using var client = new UdpTestPeer(address: IPAddress.IPv6Loopback);
            IPEndPoint upstream;
            using (var relay = new UdpRelay(new UdpRelayOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0),
                ServerEndPoint = server.EndPoint,
                Scenario = RelayScenario.Default,
                ClientPcapPath = left,
                ServerPcapPath = right,
            }))
            {
                client.Send(VersionNegotiation(7), relay.ListenEndPoint);
                Assert.Equal(VersionNegotiation(7), client.Receive(TimeSpan.FromSeconds(2))!.Data);
                upstream = Assert.Single(relay.UpstreamEndPoints);
                Assert.Equal(IPAddress.IPv6Loopback, upstream.Address);
                Assert.Throws<ArgumentException>(() => new UdpRelay(new UdpRelayOptions
                {
                    ServerEndPoint = server.EndPoint,
                    Scenario = RelayScenario.Default with { FirstRebind = TimeSpan.FromSeconds(1), RebindAddress = true },
                }));
            }
            Assert.All(PcapFile.Read(left).Concat(PcapFile.Read(right)), r => Assert.Equal(IPAddress.IPv6Loopback, r.Source.Address));
            Assert.Equal([server.EndPoint, upstream], PcapFile.Read(right).Select(r => r.Destination));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WritesIpv6Records()
    {
        var stream = new MemoryStream();
        string path = Path.GetTempFileName();
        try
        {
            using (var writer = new PcapWriter(path))
            {
                writer.Write(1_700_000_000_123_456, new IPEndPoint(IPAddress.IPv6Loopback, 5000), new IPEndPoint(IPAddress.Parse("fd00::100"), 443), 0x03, [1, 2, 3]);
                writer.Write(1_700_000_000_000_000, new IPEndPoint(IPAddress.Loopback, 5000), new IPEndPoint(IPAddress.Loopback, 443), 0x02, []);
            }
            var records = PcapFile.Read(path);
            Assert.Equal(2, records.Count);
            Assert.Equal(IPAddress.Parse("fd00::100"), records[0].Destination.Address);
            Assert.Equal(3, records[0].TrafficClass);
            Assert.Equal([1, 2, 3], records[0].Payload);
            Assert.Equal(1_700_000_000_123_456, records[1].UnixMicroseconds); // timestamps never go back
            Assert.Empty(records[1].Payload);
            Assert.Throws<ArgumentException>(() => new PcapWriter(stream).Write(0, new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.IPv6Loopback, 2), 0, []));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
