using System.Net;
using Transport.Interop.Checks;
using Transport.Interop.Relay;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Matrix;

/// <summary>The one-path copy tshark dissects after a rebinding (tshark 4.0 cannot create 1-RTT keys on a new 4-tuple).</summary>
public sealed class OnePathPcapTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 4433);
    private static readonly IPEndPoint First = new(IPAddress.Loopback, 50000);
    private static readonly IPEndPoint Rebound = new(IPAddress.Parse("127.0.0.27"), 50001);

    [Fact]
    public void Every_client_endpoint_becomes_the_first_one_and_the_originals_stay_readable()
    {
        using var dir = new PeerTestDirectory("onepath");
        string pcap = Path.Combine(dir.Path, "trace.pcap"), copy = Path.Combine(dir.Path, "copy.pcap");
        using (var w = new PcapWriter(pcap))
        {
            w.Write(1, First, Server, 0, new byte[] { 0xC0, 1, 2, 3 });
            w.Write(2, Server, First, 2, new byte[] { 0xC0, 4, 5 });
            w.Write(3, Rebound, Server, 0, new byte[] { 0x40, 6 });
            w.Write(4, Server, Rebound, 1, new byte[] { 0x40, 7, 8, 9, 10 });
        }
        Assert.True(OnePathPcap.TryWrite(pcap, e => e.Equals(Server), copy));

        var original = OnePathPcap.Endpoints(pcap);
        Assert.Equal([(First, Server), (Server, First), (Rebound, Server), (Server, Rebound)], original.Select(e => e!.Value).ToArray());
        var rewritten = OnePathPcap.Endpoints(copy);
        Assert.Equal([(First, Server), (Server, First), (First, Server), (Server, First)], rewritten.Select(e => e!.Value).ToArray());
        // Payloads and the TOS byte are untouched; IP and UDP checksums verify (PcapFile.Read checks them).
        var a = Transport.Interop.Tests.Relay.PcapFile.Read(pcap);
        var b = Transport.Interop.Tests.Relay.PcapFile.Read(copy);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Payload, b[i].Payload);
            Assert.Equal(a[i].TrafficClass, b[i].TrafficClass);
            Assert.Equal(a[i].UnixMicroseconds, b[i].UnixMicroseconds);
        }
    }

    [Fact]
    public void A_trace_with_one_client_endpoint_is_dissected_as_it_is()
    {
        using var dir = new PeerTestDirectory("onepath");
        string pcap = Path.Combine(dir.Path, "trace.pcap"), copy = Path.Combine(dir.Path, "copy.pcap");
        using (var w = new PcapWriter(pcap))
        {
            w.Write(1, First, Server, 0, new byte[] { 0xC0, 1 });
            w.Write(2, Server, First, 0, new byte[] { 0xC0, 2 });
        }
        Assert.False(OnePathPcap.TryWrite(pcap, e => e.Equals(Server), copy));
        Assert.False(File.Exists(copy));
    }

}
