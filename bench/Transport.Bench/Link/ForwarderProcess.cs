using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Transport.Core.Simulation;

namespace Transport.Bench.Link;

/// <summary>
/// The forwarder in a child process (<c>Transport.Bench link forward</c>), so that the garbage collector and the
/// threads of the code under test never pause it. Protocol on the child's stdin/stdout, one JSON line each: the parent
/// sends a <see cref="ForwarderConfig"/>; the child opens both TUN devices (from threads inside the namespaces), starts
/// both directions and prints <c>ready</c>; then <c>stats</c> prints a <see cref="ForwarderReport"/> line, and
/// <c>stop</c> (or the end of stdin, when the parent dies) stops the directions, closes the devices, prints the final
/// report and exits.
/// </summary>
internal static class ForwarderProcess
{
    // Lateness quantiles are NaN on a direction that carried nothing.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The link model's parameters, flattened for JSON.</summary>
    internal sealed record LinkParams(double DelayMicroseconds, double JitterMicroseconds, double LossRate, long BandwidthBitsPerSecond,
        int QueueCapacityPackets, long QueueCapacityBytes, double[]? GilbertElliott)
    {
        public static LinkParams From(LinkConditions c) => new(c.Delay.TotalMicroseconds, c.Jitter.TotalMicroseconds, c.LossRate,
            c.BandwidthBitsPerSecond, c.QueueCapacityPackets, c.QueueCapacityBytes,
            c.GilbertElliott is { } ge ? [ge.GoodToBad, ge.BadToGood, ge.LossInBad, ge.LossInGood] : null);

        public LinkConditions ToConditions() => new()
        {
            Delay = TimeSpan.FromMicroseconds(DelayMicroseconds),
            Jitter = TimeSpan.FromMicroseconds(JitterMicroseconds),
            LossRate = LossRate,
            BandwidthBitsPerSecond = BandwidthBitsPerSecond,
            QueueCapacityPackets = QueueCapacityPackets,
            QueueCapacityBytes = QueueCapacityBytes,
            GilbertElliott = GilbertElliott is [var p, var r, var h, var k] ? new GilbertElliottModel(p, r, h, k) : null,
        };
    }

    internal sealed record ForwarderConfig(string NamespaceA, string NamespaceB, string Device, LinkParams AToB, LinkParams BToA,
        ulong Seed, int RingCapacity, double SpinMicroseconds, int RealtimePriority);

    internal sealed record ForwarderReport(LinkDirectionStats AToB, LinkDirectionStats BToA);

    /// <summary>Starts the child and waits for it to report ready (or throws with what it said).</summary>
    public static Process Start(ForwarderConfig config)
    {
        // This assembly's own entry point serves 'link forward': through its apphost when that is what runs (dotnet run),
        // else through the dotnet host (dotnet Transport.Bench.dll, or a different entry assembly).
        string dll = typeof(ForwarderProcess).Assembly.Location;
        string? self = Environment.ProcessPath;
        bool apphost = self is not null && Path.GetFileNameWithoutExtension(self) == Path.GetFileNameWithoutExtension(dll);
        string host = apphost ? self! : self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!apphost) info.ArgumentList.Add(dll);
        // Fully optimized code from the start: tiered compilation's call counting and tier-up stop every managed thread
        // now and then, from a normal-priority runtime thread that a busy machine can keep waiting for milliseconds.
        info.Environment["DOTNET_TieredCompilation"] = "0";
        info.Environment["DOTNET_gcConcurrent"] = "0";
        info.ArgumentList.Add("link");
        info.ArgumentList.Add("forward");
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the forwarder process.");
        process.StandardInput.WriteLine(JsonSerializer.Serialize(config, Json));
        process.StandardInput.Flush();
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(30)) || ready.Result != "ready")
        {
            string said = ready.IsCompleted ? ready.Result ?? "(nothing)" : "(no answer in 30 s)";
            try { process.Kill(); } catch (InvalidOperationException) { }
            string error = process.StandardError.ReadToEnd();
            throw new InvalidOperationException($"The forwarder process did not start: {said} {error}".Trim());
        }
        return process;
    }

    /// <summary>Asks the child for its counters (<c>stats</c>) or to stop (<c>stop</c>, final counters). Null if it is gone.</summary>
    public static ForwarderReport? Ask(Process process, string command)
    {
        try
        {
            process.StandardInput.WriteLine(command);
            process.StandardInput.Flush();
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                var line = process.StandardOutput.ReadLineAsync();
                if (!line.Wait(TimeSpan.FromSeconds(10) - deadline.Elapsed) || line.Result is null) return null;
                if (line.Result.StartsWith('{')) return JsonSerializer.Deserialize<ForwarderReport>(line.Result, Json);
                Console.Error.WriteLine($"forwarder: {line.Result}"); // anything else it says is for a human
            }
            return null;
        }
        catch (Exception e) when (e is IOException or JsonException or AggregateException or ObjectDisposedException)
        {
            Console.Error.WriteLine($"forwarder: no statistics ({e.Message})");
            return null;
        }
    }

    /// <summary>The child's side: <c>link forward</c>.</summary>
    public static int RunChild()
    {
        string? line = Console.In.ReadLine();
        var config = line is null ? null : JsonSerializer.Deserialize<ForwarderConfig>(line, Json);
        if (config is null)
        {
            Console.WriteLine("error: no configuration on stdin");
            return 2;
        }
        int fdA = -1, fdB = -1;
        LinkDirection? aToB = null, bToA = null;
        try
        {
            fdA = NamespaceLink.RunInNamespace(config.NamespaceA, () => LinkNative.OpenTun(config.Device));
            fdB = NamespaceLink.RunInNamespace(config.NamespaceB, () => LinkNative.OpenTun(config.Device));
            var spin = TimeSpan.FromMicroseconds(config.SpinMicroseconds);
            aToB = new LinkDirection("A->B", config.AToB.ToConditions(), fdA, fdB, config.Seed * 2 + 1, config.RingCapacity, spin, config.RealtimePriority);
            bToA = new LinkDirection("B->A", config.BToA.ToConditions(), fdB, fdA, config.Seed * 2 + 2, config.RingCapacity, spin, config.RealtimePriority);
            aToB.Start();
            bToA.Start();
            Console.WriteLine("ready");
            Console.Out.Flush();
            while (true)
            {
                string? command = Console.In.ReadLine();
                if (command is null or "stop") break;
                if (command == "stats") Console.WriteLine(JsonSerializer.Serialize(new ForwarderReport(aToB.Snapshot(), bToA.Snapshot()), Json));
                Console.Out.Flush();
            }
            aToB.Stop();
            bToA.Stop();
            Console.WriteLine(JsonSerializer.Serialize(new ForwarderReport(aToB.Snapshot(), bToA.Snapshot()), Json));
            Console.Out.Flush();
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
            return 1;
        }
        finally
        {
            aToB?.Stop();
            bToA?.Stop();
            if (fdA >= 0) LinkNative.Close(fdA);
            if (fdB >= 0) LinkNative.Close(fdB);
            aToB?.Dispose();
            bToA?.Dispose();
        }
    }
}
