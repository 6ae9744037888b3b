using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Transport.Quic;

namespace Transport.Bench.Tour;

/// <summary>
/// <c>footprint [connections] [top]</c>: where the memory of idle connections goes through the public API, on loopback,
/// in one process (the scale section's server and client options, the tour's echo server). The managed heap's growth
/// per connection (after a full compacting collection), then a reflection walk by type from the listener and from the
/// client endpoint and its connections, before and after: what each type adds per connection, largest first. The walk
/// follows delegates' targets (task continuations, callbacks), so it sees what an endpoint's sockets and tasks keep; what
/// only the runtime roots (timer queue, thread pool) keep shows as the gap between the walk and the heap's growth.
/// </summary>
internal static class EndpointFootprint
{
    public static int Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        int top = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        return RunAsync(n, top).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int n, int top)
    {
        using var peers = new TourPeers();
        var idleTimeout = TimeSpan.FromMinutes(5);
        QuicListener listener = await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ServerConnectionOptions = peers.QuicServerOptions(idleTimeout, maxStreams: 10),
            AcceptBacklog = 4096,
        }).ConfigureAwait(false);
        await using var server = new QuicEchoServer(listener);
        await using var endpoint = new QuicClientEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        var options = TourPeers.QuicClientOptions(peers.Pin, idleTimeout: idleTimeout);
        var target = listener.LocalEndPoint;
        var connections = new List<QuicConnection>(n);
        await using (QuicConnection warm = await endpoint.ConnectAsync(new QuicClientConnectionOptions { RemoteEndPoint = target, ConnectionOptions = options }).ConfigureAwait(false))
        {
            await warm.CloseAsync(0).ConfigureAwait(false);
        }
        await Task.Delay(500).ConfigureAwait(false);
        object[] serverRoots = [listener, server];
        object[] clientRoots = [endpoint, connections];
        long heap0 = Collect();
        var server0 = ByType(serverRoots);
        var client0 = ByType(clientRoots);

        using (var gate = new SemaphoreSlim(50))
        {
            var tasks = new List<Task>(n);
            for (int i = 0; i < n; i++)
            {
                await gate.WaitAsync().ConfigureAwait(false);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        QuicConnection c = await endpoint.ConnectAsync(new QuicClientConnectionOptions { RemoteEndPoint = target, ConnectionOptions = options }).ConfigureAwait(false);
                        lock (connections) connections.Add(c);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        await Task.Delay(1000).ConfigureAwait(false);
        long heap1 = Collect();
        int ok = connections.Count;
        var server1 = ByType(serverRoots);
        var client1 = ByType(clientRoots);
        long probes = 0, mtu = 0;
        foreach (QuicConnection c in connections)
        {
            var s = c.GetStatistics();
            probes += s.PathMtuProbesSent;
            mtu += s.PathMtu;
        }
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{ok} connections (server {server.ConnectionCount}); managed heap +{(heap1 - heap0) / 1024.0 / ok:0.00} KiB per connection, both ends together; client PMTU probes sent {probes / (double)ok:0.0} per connection, mean PMTU {mtu / Math.Max(1, ok)}");
        Report(sb, "server (listener, echo server)", server0, server1, ok, top);
        Report(sb, "client (endpoint, connections)", client0, client1, ok, top);
        Console.Write(sb.ToString());
        GC.KeepAlive(connections);
        foreach (QuicConnection c in connections) await c.DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    private static void Report(StringBuilder sb, string title, Dictionary<string, (long Count, long Bytes)> before, Dictionary<string, (long Count, long Bytes)> after, int n, int top)
    {
        var rows = new List<(string Type, double Count, double Bytes)>();
        long total = 0;
        foreach (var (type, a) in after)
        {
            before.TryGetValue(type, out var b);
            long bytes = a.Bytes - b.Bytes;
            total += bytes;
            if (bytes != 0) rows.Add((type, (a.Count - b.Count) / (double)n, bytes / (double)n));
        }
        rows.Sort((x, y) => y.Bytes.CompareTo(x.Bytes));
        sb.AppendLine(CultureInfo.InvariantCulture, $"{title}: walk +{total / 1024.0 / n:0.00} KiB per connection");
        for (int i = 0; i < Math.Min(top, rows.Count); i++)
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {rows[i].Bytes,8:0.0} B  {rows[i].Count,6:0.00} x  {rows[i].Type}");
    }

    private static long Collect()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Bytes and objects reachable from <paramref name="roots"/>, by type (estimates: 16-byte header, fields at their size, 8-byte aligned).</summary>
    private static Dictionary<string, (long Count, long Bytes)> ByType(object[] roots)
    {
        var result = new Dictionary<string, (long, long)>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(object, string?)>();
        foreach (object r in roots) if (seen.Add(r)) stack.Push((r, null));
        while (stack.Count > 0)
        {
            (object o, string? via) = stack.Pop();
            Type type = o.GetType();
            if (typeof(MemberInfo).IsAssignableFrom(type) || o is Thread || type.IsPointer) continue;
            long size;
            if (o is string s) size = Align(22 + 2L * s.Length);
            else if (o is Array array)
            {
                Type element = type.GetElementType()!;
                size = Align(24 + (long)array.Length * (element.IsValueType ? (element.IsPrimitive || element.IsEnum ? Buffer.ByteLength(Array.CreateInstance(element, 1)) : ValueSize(element)) : 8));
                if (!element.IsPrimitive && !element.IsEnum && array.Rank == 1 && array.Length < 10_000_000)
                {
                    foreach (object? item in array)
                    {
                        if (item is null) continue;
                        if (element.IsValueType) PushFields(item, stack, seen);
                        else if (seen.Add(item)) stack.Push((item, via + "[]"));
                    }
                }
            }
            else
            {
                size = InstanceSize(type);
                PushFields(o, stack, seen);
            }
            string name = o is Array ? $"{TypeName(type)} via {via}" : TypeName(type);
            result.TryGetValue(name, out var e);
            result[name] = (e.Item1 + 1, e.Item2 + size);
        }
        return result;
    }

    private static string TypeName(Type t)
    {
        if (!t.IsGenericType) return t.FullName ?? t.Name;
        var args = t.GetGenericArguments();
        return $"{t.Name.Split('`')[0]}<{string.Join(",", Array.ConvertAll(args, a => a.Name))}>";
    }

    private static void PushFields(object o, Stack<(object, string?)> stack, HashSet<object> seen)
    {
        for (Type? t = o.GetType(); t is not null; t = t.BaseType)
        {
            foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                Type ft = f.FieldType;
                if (ft.IsPrimitive || ft.IsPointer || ft.IsEnum || ft.IsByRefLike) continue;
                object? value;
                try { value = f.GetValue(o); } catch (Exception) { continue; }
                if (value is null) continue;
                if (value.GetType().IsValueType) PushFields(value, stack, seen);
                else if (seen.Add(value)) stack.Push((value, $"{TypeName(t)}.{f.Name}"));
            }
        }
    }

    private static readonly Dictionary<Type, long> Sizes = new();

    private static long InstanceSize(Type type)
    {
        if (Sizes.TryGetValue(type, out long cached)) return cached;
        long fields = 0;
        for (Type? t = type; t is not null; t = t.BaseType)
        {
            foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                fields += f.FieldType.IsValueType ? ValueSize(f.FieldType) : 8;
        }
        return Sizes[type] = Math.Max(24, Align(16 + fields));
    }

    private static int ValueSize(Type valueType) =>
        valueType.IsByRefLike || valueType.ContainsGenericParameters ? 8
            : (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(valueType).Invoke(null, null)!;

    private static long Align(long bytes) => (bytes + 7) & ~7L;
}
