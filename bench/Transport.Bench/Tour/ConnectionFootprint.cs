using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Quic.Connection;

namespace Transport.Bench.Tour;

/// <summary>
/// Where an idle connection's memory goes: a client and a server <see cref="QuicConnectionCore"/> complete a handshake
/// over <see cref="NetworkSimulator"/> and idle for a second of virtual time; then the server's object graph is walked
/// by reflection and the bytes reachable from each of its fields are summed (each object counted once, in the first
/// field that reaches it; what the options reach is shared by every connection and left out). Sizes are estimates: 16
/// bytes of header per object, 8 per field, arrays by element size.
/// </summary>
internal static class ConnectionFootprint
{
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.1"), 50000);
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.2"), 4433);

    /// <summary>"total ≈ N KiB; field a KiB, field b KiB, ..." for the <paramref name="top"/> largest fields of an idle server connection.</summary>
    public static string Describe(TourPeers peers, int top = 6)
    {
        var sim = new NetworkSimulator(7);
        sim.SetLinkBothWays(ClientAddress, ServerAddress, new LinkConditions { Delay = TimeSpan.FromMilliseconds(10) });
        Instant now = Instant.FromMilliseconds(1_000);
        ConnectionOptions serverOptions = peers.QuicServerOptions();
        using var client = QuicConnectionCore.CreateClient(peers.QuicClientOptions(), ServerAddress, now);
        using var server = QuicConnectionCore.CreateServer(serverOptions, ClientAddress, client.OriginalDestinationConnectionId, now);
        byte[] buffer = new byte[65536];
        Instant? settledAt = null;
        for (int step = 0; step < 100_000; step++)
        {
            Flush(sim, client, ClientAddress, now, buffer);
            Flush(sim, server, ServerAddress, now, buffer);
            bool delivered = false;
            while (sim.TryReceive(now, out SimulatedDatagram d))
            {
                delivered = true;
                (d.Destination.Equals(ServerAddress) ? server : client).HandleDatagram(now, d.Source, d.Payload.Span);
            }
            while (server.PollEvent(out _)) { }
            while (client.PollEvent(out _)) { }
            if (settledAt is null && client.IsHandshakeConfirmed && server.IsHandshakeConfirmed) settledAt = now + TimeSpan.FromSeconds(1);
            if (settledAt is { } s && now >= s) break;
            if (delivered) continue;
            Instant next = Earliest(sim.NextDeliveryTime, Earliest(client.NextTimeout(), server.NextTimeout())) ?? now + TimeSpan.FromMilliseconds(100);
            if (settledAt is { } stop && next > stop) next = stop;
            if (next > now) now = next;
            if (client.NextTimeout() is { } ct && ct <= now) client.HandleTimeout(now);
            if (server.NextTimeout() is { } st && st <= now) server.HandleTimeout(now);
        }
        if (!server.IsHandshakeConfirmed) return "footprint: the handshake did not complete";

        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Walk(serverOptions, seen); // shared by every connection of a listener
        seen.Add(server);
        var byField = new List<(string Field, long Bytes)>();
        long total = 16;
        for (Type? t = server.GetType(); t is not null; t = t.BaseType)
        {
            foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                total += 8;
                if (f.FieldType.IsPrimitive || f.FieldType.IsPointer) continue;
                long bytes = Walk(f.GetValue(server), seen);
                total += bytes;
                byField.Add((f.Name, bytes));
            }
        }
        byField.Sort((a, b) => b.Bytes.CompareTo(a.Bytes));
        var sb = new StringBuilder($"an idle server connection reaches ≈ {total / 1024.0:0.0} KiB; largest fields:");
        for (int i = 0; i < Math.Min(top, byField.Count); i++) sb.Append($" {byField[i].Field} {byField[i].Bytes / 1024.0:0.0} KiB,");
        sb.Length--;
        // One level down into the largest field.
        FieldInfo? largest = null;
        for (Type? t = server.GetType(); t is not null && largest is null; t = t.BaseType)
            largest = t.GetField(byField[0].Field, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
        if (largest?.GetValue(server) is { } inner)
        {
            var innerSeen = new HashSet<object>(ReferenceEqualityComparer.Instance) { server, inner };
            Walk(serverOptions, innerSeen);
            var parts = new List<(string, long)>();
            if (inner is object?[] items) // the packet number spaces: one part per element
            {
                for (int i = 0; i < items.Length; i++) parts.Add(($"[{i}]", Walk(items[i], innerSeen)));
            }
            else for (Type? t = inner.GetType(); t is not null; t = t.BaseType)
            {
                foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (f.FieldType.IsPrimitive || f.FieldType.IsPointer) continue;
                    parts.Add((f.Name, Walk(f.GetValue(inner), innerSeen)));
                }
            }
            parts.Sort((a, b) => b.Item2.CompareTo(a.Item2));
            sb.Append($"; inside {byField[0].Field} ({inner.GetType().Name}):");
            for (int i = 0; i < Math.Min(4, parts.Count); i++) sb.Append($" {parts[i].Item1} {parts[i].Item2 / 1024.0:0.0} KiB,");
            sb.Length--;
        }
        return sb.ToString();
    }

    /// <summary>Bytes reachable from <paramref name="root"/> not yet in <paramref name="seen"/> (iterative, so deep graphs do not overflow the stack).</summary>
    private static long Walk(object? root, HashSet<object> seen)
    {
        if (root is null) return 0;
        long total = 0;
        var stack = new Stack<object>();
        if (!root.GetType().IsValueType && !seen.Add(root)) return 0;
        stack.Push(root);
        while (stack.Count > 0)
        {
            object o = stack.Pop();
            Type type = o.GetType();
            if (type.IsPointer || typeof(Delegate).IsAssignableFrom(type) || typeof(MemberInfo).IsAssignableFrom(type) || o is Thread) continue;
            if (o is Array array)
            {
                Type element = type.GetElementType()!;
                bool primitive = element.IsPrimitive || element.IsEnum;
                int size = primitive ? (element.IsEnum ? Marshal(Enum.GetUnderlyingType(element)) : Marshal(element)) : element.IsValueType ? 16 : 8;
                total += 24 + (long)array.Length * size;
                if (!primitive && array.Rank == 1 && array.Length <= 1_000_000)
                {
                    foreach (object? item in array) Push(item, stack, seen, element.IsValueType);
                }
                continue;
            }
            if (o is string s)
            {
                total += 22 + 2L * s.Length;
                continue;
            }
            if (!type.IsValueType) total += 16;
            for (Type? t = type; t is not null; t = t.BaseType)
            {
                foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    total += f.FieldType.IsPrimitive ? Marshal(f.FieldType) : 8;
                    if (f.FieldType.IsPrimitive || f.FieldType.IsPointer || f.FieldType.IsByRefLike) continue;
                    object? value;
                    try { value = f.GetValue(o); } catch (Exception) { continue; }
                    Push(value, stack, seen, f.FieldType.IsValueType);
                }
            }
        }
        return total;
    }

    private static void Push(object? value, Stack<object> stack, HashSet<object> seen, bool boxedValue)
    {
        if (value is null) return;
        if (boxedValue || value.GetType().IsValueType)
        {
            stack.Push(value); // a struct's own fields: walked, not deduplicated
            return;
        }
        if (seen.Add(value)) stack.Push(value);
    }

    private static int Marshal(Type primitive) => primitive == typeof(bool) || primitive == typeof(byte) || primitive == typeof(sbyte) ? 1
        : primitive == typeof(short) || primitive == typeof(ushort) || primitive == typeof(char) ? 2
        : primitive == typeof(int) || primitive == typeof(uint) || primitive == typeof(float) ? 4 : 8;

    private static void Flush(NetworkSimulator sim, QuicConnectionCore connection, IPEndPoint self, Instant now, byte[] buffer)
    {
        for (int i = 0; i < 10_000; i++)
        {
            int n = connection.PollTransmit(now, buffer, out TransmitInfo info);
            if (n == 0) return;
            sim.Send(now, info.Source ?? self, info.Destination, buffer.AsSpan(0, n));
        }
    }

    private static Instant? Earliest(Instant? a, Instant? b) => a is { } x ? (b is { } y ? Instant.Min(x, y) : x) : b;
}
