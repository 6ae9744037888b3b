namespace Transport.Core.Wire;

/// <summary>
/// Bytes on the wire (or a buffer for them) do not fit the expected format: input ended early, a value is out of range,
/// or an output buffer is too small. The codec's own error type: readers and writers never leak
/// <see cref="IndexOutOfRangeException"/>.
/// </summary>
public sealed class WireFormatException : Exception
{
    /// <summary>Creates the exception with a message that says what was wrong.</summary>
    public WireFormatException(string message) : base(message) { }

    internal static WireFormatException Truncated(int needed, int remaining) =>
        new($"Input truncated: needed {needed} byte(s), {remaining} remain.");

    internal static WireFormatException NoRoom(int needed, int remaining) =>
        new($"Output buffer too small: needed {needed} byte(s), {remaining} remain.");
}
