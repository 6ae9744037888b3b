using System.Numerics;

namespace Transport.Core.Simulation;

/// <summary>
/// Payload buffers for one simulator: power-of-two size classes, each a stack of free arrays. Single-threaded and
/// unbounded, it keeps as many arrays as were ever in flight at once, so a steady run allocates nothing (unlike
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/>, which drops arrays beyond a few per size and core, and so allocates
/// whenever thousands of datagrams are travelling).
/// </summary>
internal sealed class PayloadPool
{
    private const int MinShift = 4; // 16 bytes
    private readonly Stack<byte[]>?[] _classes = new Stack<byte[]>?[32];

    /// <summary>An array of at least <paramref name="length"/> bytes (the empty array for 0).</summary>
    public byte[] Rent(int length)
    {
        if (length == 0) return [];
        int shift = Math.Max(MinShift, BitOperations.Log2((uint)length - 1) + 1);
        var stack = _classes[shift];
        if (stack is not null && stack.TryPop(out var array)) return array;
        return GC.AllocateUninitializedArray<byte>(1 << shift);
    }

    /// <summary>Gives back an array from <see cref="Rent"/>.</summary>
    public void Return(byte[] array)
    {
        if (array.Length == 0) return;
        int shift = BitOperations.Log2((uint)array.Length);
        (_classes[shift] ??= new Stack<byte[]>()).Push(array);
    }
}
