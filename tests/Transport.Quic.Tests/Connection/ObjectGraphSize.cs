using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// Deterministic size of an object graph by reflection: the bytes of every object reachable from a root, each object
/// counted once. An object is its header (16 bytes) plus its fields (references 8, values at their own size) rounded up
/// to 8, at least 24; an array is 24 bytes plus its elements. Delegates, reflection objects and threads are not
/// followed. Objects put in the <c>seen</c> set beforehand (what options reach: shared by every connection) are left out.
/// </summary>
internal static class ObjectGraphSize
{
    private static readonly Dictionary<Type, int> SizeCache = new();
    private static readonly Dictionary<Type, FieldInfo[]> FieldCache = new();

    /// <summary>Bytes reachable from <paramref name="root"/> not yet in <paramref name="seen"/>; marks them seen.</summary>
    public static long Measure(object? root, HashSet<object> seen)
    {
        if (root is null) return 0;
        long total = 0;
        var stack = new Stack<object>();
        if (root.GetType().IsValueType) PushFieldsOf(root, stack, seen); // a struct held inline: only what it references
        else if (seen.Add(root)) stack.Push(root);
        while (stack.Count > 0)
        {
            object o = stack.Pop();
            Type type = o.GetType();
            if (Skipped(type)) continue;
            if (o is string s)
            {
                total += Align(22 + 2L * s.Length);
                continue;
            }
            if (o is Array array)
            {
                Type element = type.GetElementType()!;
                total += Align(24 + (long)array.Length * (element.IsValueType ? ValueSize(element) : 8));
                if (element.IsPrimitive || element.IsEnum || array.Rank != 1) continue;
                foreach (object? item in array)
                {
                    if (element.IsValueType) PushFieldsOf(item!, stack, seen); // an inline struct: follow its references
                    else Push(item, stack, seen);
                }
                continue;
            }
            if (!type.IsValueType) total += InstanceSize(type);
            PushFieldsOf(o, stack, seen);
        }
        return total;
    }

    /// <summary>
    /// The total and a breakdown ("total N B", then "field B" lines, nested by indentation) for the fields of <paramref name="root"/> (in declaration order, each object
    /// counted in the first field that reaches it), <paramref name="depth"/> levels down for fields of at least
    /// <paramref name="threshold"/> bytes.
    /// </summary>
    public static (long Total, string Breakdown) Describe(object root, HashSet<object> seen, int depth = 2, long threshold = 256)
    {
        var sb = new StringBuilder();
        long total = DescribeInto(root, seen, depth, threshold, sb, "");
        return (total, $"total {total} B\n{sb}");
    }

    private static long DescribeInto(object root, HashSet<object> seen, int depth, long threshold, StringBuilder sb, string indent)
    {
        seen.Add(root);
        long total = root.GetType().IsValueType ? 0 : InstanceSize(root.GetType());
        var parts = new List<(string Name, long Bytes, object? Value)>();
        foreach (FieldInfo f in FieldsOf(root.GetType()))
        {
            if (f.FieldType.IsPrimitive || f.FieldType.IsPointer || f.FieldType.IsEnum) continue;
            object? value = f.GetValue(root);
            if (value is null || Skipped(value.GetType())) continue;
            long bytes;
            if (depth > 0 && value is object?[] items && items.Length <= 8 && seen.Add(value))
            {
                // A small array of objects (the packet number spaces): each element on its own line.
                bytes = Align(24 + 8L * items.Length);
                var inner = new StringBuilder();
                for (int i = 0; i < items.Length; i++)
                {
                    if (items[i] is not { } item || seen.Contains(item)) continue;
                    var one = new StringBuilder();
                    long b = DescribeInto(item, seen, depth - 1, threshold, one, indent + "  ");
                    bytes += b;
                    if (b >= threshold) inner.Append(indent).Append("  [").Append(i).Append("] (").Append(item.GetType().Name).Append(") ").Append(b).Append(" B\n").Append(one);
                }
                if (bytes >= threshold) sb.Append(indent).Append(f.Name).Append(' ').Append(bytes).Append(" B\n").Append(inner);
            }
            else if (depth > 0 && value is not Array && value is not string && !value.GetType().IsValueType && !seen.Contains(value))
            {
                var inner = new StringBuilder();
                bytes = DescribeInto(value, seen, depth - 1, threshold, inner, indent + "  ");
                if (bytes >= threshold)
                {
                    sb.Append(indent).Append(f.Name).Append(" (").Append(value.GetType().Name).Append(") ").Append(bytes).Append(" B\n");
                    sb.Append(inner);
                }
            }
            else
            {
                bytes = Measure(value, seen);
                if (bytes >= threshold) sb.Append(indent).Append(f.Name).Append(' ').Append(bytes).Append(" B\n");
            }
            total += bytes;
        }
        return total;
    }

    private static bool Skipped(Type type) =>
        type.IsPointer || typeof(Delegate).IsAssignableFrom(type) || typeof(MemberInfo).IsAssignableFrom(type) || typeof(Thread).IsAssignableFrom(type);

    private static void PushFieldsOf(object o, Stack<object> stack, HashSet<object> seen)
    {
        foreach (FieldInfo f in FieldsOf(o.GetType()))
        {
            Type t = f.FieldType;
            if (t.IsPrimitive || t.IsPointer || t.IsEnum || t.IsByRefLike) continue;
            object? value;
            try { value = f.GetValue(o); } catch (Exception) { continue; }
            Push(value, stack, seen);
        }
    }

    private static void Push(object? value, Stack<object> stack, HashSet<object> seen)
    {
        if (value is null) return;
        if (value.GetType().IsValueType)
        {
            // A struct stored inline: its size is counted by its holder; only its references are followed.
            PushFieldsOf(value, stack, seen);
            return;
        }
        if (seen.Add(value)) stack.Push(value);
    }

    private static FieldInfo[] FieldsOf(Type type)
    {
        lock (FieldCache)
        {
            if (FieldCache.TryGetValue(type, out var cached)) return cached;
            var list = new List<FieldInfo>();
            for (Type? t = type; t is not null; t = t.BaseType)
                list.AddRange(t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
            return FieldCache[type] = list.ToArray();
        }
    }

    private static long InstanceSize(Type type)
    {
        long fields = 0;
        foreach (FieldInfo f in FieldsOf(type)) fields += f.FieldType.IsValueType ? ValueSize(f.FieldType) : 8;
        return Math.Max(24, Align(16 + fields));
    }

    private static int ValueSize(Type valueType)
    {
        lock (SizeCache)
        {
            if (SizeCache.TryGetValue(valueType, out int size)) return size;
            size = valueType.IsByRefLike || valueType.ContainsGenericParameters ? 8
                : (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(valueType).Invoke(null, null)!;
            return SizeCache[valueType] = size;
        }
    }

    private static long Align(long bytes) => (bytes + 7) & ~7L;
}
