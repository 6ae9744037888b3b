using BenchmarkDotNet.Running;

namespace Transport.Bench;

/// <summary>
/// Entry point. <c>dotnet run -c Release --project bench/Transport.Bench -- &lt;command&gt;</c>:
/// with no command or an unknown one, the BenchmarkDotNet switcher over every micro-benchmark in this assembly.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
