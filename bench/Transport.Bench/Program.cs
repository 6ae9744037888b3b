using BenchmarkDotNet.Running;
using Transport.Bench.Datagrams;

namespace Transport.Bench;

/// <summary>
/// Entry point. <c>dotnet run -c Release --project bench/Transport.Bench -- &lt;command&gt;</c>:
/// <list type="bullet">
/// <item><c>datagrams</c>: a quick (about 30-40 s) loopback datagram throughput table, no BenchmarkDotNet.</item>
/// <item><c>harness</c>: the reliable-delivery engine over a simulated 100 Mbit/s, 50 ms link, per congestion controller.</item>
/// <item><c>tour</c>: the comparison tour (kernel TCP, TCP+TLS 1.3, QUIC stacks) with Markdown tables, SVG charts and results.json; <c>tour --help</c>.</item>
/// <item><c>connpair [MB] [rounds] [mds] [pmtud] [single|ab]</c>: the connection's steady-state data path in memory: ns/byte, Gbit/s per core, bytes allocated per packet; <c>ab</c>: two pairs, rounds alternating A B (one PollTransmit per datagram vs PollTransmitBatch).</item>
/// <item><c>quicbulk [seconds] [rounds] [pmtud]</c>: the tour's loopback bulk figure for Transport QUIC alone (1452-byte datagrams unless pmtud): Gbit/s and CPU s/GB.</item>
/// <item><c>pingpong [count]</c>: the connection cores' share of a 64-byte request/response in memory: time per call (write, transmit, receive, read).</item>
/// <item><c>hsprims [count]</c>: ns of CPU per call of each cryptographic operation of a QUIC handshake (X25519 ours vs BouncyCastle, HKDF, AES, ECDSA).</item>
/// <item><c>quicphases [count]</c>: where a Transport QUIC connection's time goes through the public API (connect, first byte, round trip, dispose).</item>
/// <item><c>footprint [connections] [top]</c>: where idle connections' memory goes (heap growth per connection, a reflection walk by type from the listener and the client endpoint).</item>
/// <item><c>server [options]</c> / <c>client --target HOST[:PORT] [options]</c>: measurements between two hosts (QUIC perf protocol, kernel TCP, TCP+TLS 1.3), like iperf3 / secnetperf; <c>server --help</c>, <c>client --help</c>, Remote/README.md.</item>
/// <item><c>link selfcheck</c>: the namespace/TUN link emulator (needs root) checked with kernel TCP cubic and bbr.</item>
/// <item>anything else (or nothing): the BenchmarkDotNet switcher over every micro-benchmark in this assembly.</item>
/// </list>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string command = args.Length > 0 ? args[0] : "";
        switch (command)
        {
            case "datagrams":
                return DatagramThroughputTool.Run(args[1..]);
            case "harness":
                return Harness.HarnessFiguresTool.Run(args[1..]);
            case "tour":
                return Tour.TourRunner.Run(args[1..]);
            case "connpair":
                return Quic.ConnectionPairTool.Run(args[1..]);
            case "quicbulk":
                return Quic.LoopbackBulkTool.Run(args[1..]);
            case "pingpong":
                return Quic.PingPongTool.Run(args[1..]);
            case "setupprobe":
                return Tour.SetupProbe.Run(args[1..]);
            case "hsprims":
                return Quic.HandshakeCryptoProbe.Run(args[1..]);
            case "quicphases":
                return Tour.QuicPhaseProbe.Run(args[1..]);
            case "footprint":
                return Tour.EndpointFootprint.Run(args[1..]);
            case "server":
                return Remote.RemoteTool.Server(args[1..]);
            case "client":
                return Remote.RemoteTool.Client(args[1..]);
            case "link":
                return Link.LinkTool.Run(args[1..]);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
