using BenchmarkDotNet.Running;
using Transport.Bench.Datagrams;

namespace Transport.Bench;

/// <summary>
/// Entry point. <c>dotnet run -c Release --project bench/Transport.Bench -- &lt;command&gt;</c>:
/// <list type="bullet">
/// <item><c>datagrams</c>: a quick (about 15 s) loopback datagram throughput table, no BenchmarkDotNet.</item>
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
            case "link": return Link.LinkTool.Run(args[1..]);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
