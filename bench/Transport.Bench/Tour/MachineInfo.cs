using System.Runtime.InteropServices;

namespace Transport.Bench.Tour;

/// <summary>What the figures were measured on (printed above the tables and stored in results.json).</summary>
internal sealed record MachineInfo(int Cores, string Os, string Architecture, string DotNet, DateTimeOffset Date, string? LoadAverage)
{
    public static MachineInfo Current()
    {
        string? load = null;
        try
        {
            if (File.Exists("/proc/loadavg")) load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        }
        catch (IOException) { }
        return new MachineInfo(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.ProcessArchitecture.ToString(),
            RuntimeInformation.FrameworkDescription, DateTimeOffset.UtcNow, load);
    }
}
