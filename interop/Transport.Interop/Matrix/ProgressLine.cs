namespace Transport.Interop.Matrix;

/// <summary>
/// What is running, on stderr: one line overwritten with \r on a terminal, plain lines when stderr is redirected.
/// </summary>
public sealed class ProgressLine
{
    private readonly TextWriter _writer;
    private readonly bool _overwrite;
    private int _lastLength;

    /// <summary>Writes to <paramref name="writer"/>; <paramref name="overwrite"/> = a terminal.</summary>
    public ProgressLine(TextWriter writer, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _overwrite = overwrite;
    }

    /// <summary>For the console's stderr (overwrite when it is a terminal).</summary>
    public static ProgressLine ForConsole() => new(Console.Error, !Console.IsErrorRedirected);

    /// <summary>Shows <paramref name="text"/>.</summary>
    public void Show(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_overwrite)
        {
            string padded = text.Length < _lastLength ? text.PadRight(_lastLength) : text;
            _writer.Write("\r" + padded);
            _lastLength = text.Length;
        }
        else _writer.WriteLine(text);
        _writer.Flush();
    }

    /// <summary>Ends the overwritten line (a newline on a terminal).</summary>
    public void Done()
    {
        if (_overwrite && _lastLength > 0) _writer.WriteLine();
        _lastLength = 0;
        _writer.Flush();
    }
}
