using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Transport.Bench.Tour;

namespace Transport.Bench.Quic;

/// <summary>
/// <c>dotnet run -c Release --project bench/Transport.Bench -- quicbulk [seconds] [rounds] [pmtud]</c>: the tour's
/// loopback bulk measurement for Transport QUIC alone: one process, server and client endpoints over UDP loopback, a
/// stream per round of 64 KiB writes for the given seconds (default 3, 5 rounds), after a warm-up; prints per round
/// Gbit/s and process CPU seconds per GB (client and server together, as the tour's "CPU s/GB"), then the medians.
/// Path MTU discovery is off (1452-byte datagrams, the tour's "Transport QUIC, 1452 B" row) unless <c>pmtud</c> is given.
/// </summary>
internal static class LoopbackBulkTool
{
    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        bool pmtud = args.Length > 2 && args[2] == "pmtud";
        var contender = new TransportQuicContender(pathMtuDiscovery: pmtud);
        Console.WriteLine($"quicbulk: {contender.Name}, loopback, {rounds} rounds of {seconds} s, one stream of 64 KiB writes");
        await using ITourServer server = await contender.StartServerAsync(TourServerHandler.HandleAsync, CancellationToken.None);
        await using ITourConnection connection = await contender.ConnectAsync(server.EndPoint, CancellationToken.None);
        byte[] data = new byte[64 * 1024];
        Random.Shared.NextBytes(data);
        for (int i = 0; i < 4; i++) await SendAsync(connection, data, TimeSpan.FromSeconds(Math.Max(0.5, seconds / 2)));
        var rates = new double[rounds];
        var cpus = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
            long t0 = Stopwatch.GetTimestamp();
            long bytes = await SendAsync(connection, data, TimeSpan.FromSeconds(seconds));
            double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            double cpu = (CpuMeter.ProcessCpuTime() - cpu0).TotalSeconds;
            rates[r] = bytes * 8 / elapsed / 1e9;
            cpus[r] = cpu / (bytes / 1e9);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: {rates[r]:F2} Gbit/s, {cpus[r]:F2} CPU s/GB"));
        }
        Array.Sort(rates);
        Array.Sort(cpus);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median: {rates[rounds / 2]:F2} Gbit/s, {cpus[rounds / 2]:F2} CPU s/GB (best {cpus[0]:F2})"));
        return 0;
    }

    private static async Task<long> SendAsync(ITourConnection connection, byte[] data, TimeSpan duration)
    {
        await using ITourStream tourStream = await connection.OpenStreamAsync(CancellationToken.None);
        Stream stream = tourStream.Stream;
        await stream.WriteAsync(new[] { TourServerHandler.Sink });
        long sent = 0;
        long start = Stopwatch.GetTimestamp();
        do
        {
            await stream.WriteAsync(data);
            sent += data.Length;
        }
        while (Stopwatch.GetElapsedTime(start) < duration);
        await stream.FlushAsync();
        await tourStream.CompleteWritesAsync(CancellationToken.None);
        byte[] answer = new byte[8];
        await stream.ReadExactlyAsync(answer);
        long received = BinaryPrimitives.ReadInt64BigEndian(answer);
        if (received != sent) throw new InvalidDataException($"the server received {received} bytes, the client sent {sent}");
        return sent;
    }
}
