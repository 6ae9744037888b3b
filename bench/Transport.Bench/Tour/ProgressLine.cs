using System.Diagnostics;

namespace Transport.Bench.Tour;

/// <summary>
/// The progress line on stderr: rewritten in place (carriage return) on a terminal, one plain line per step when
/// stderr is redirected (CI logs).
/// </summary>
internal sealed class ProgressLine(string tool = "tour")
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _lastLength;

    public void Report(string text)
    {
        string line = $"[{tool} {_clock.Elapsed.TotalSeconds,5:F0} s] {text}";
        if (_interactive)
        {
            int width = Math.Max(20, SafeWidth() - 1);
            if (line.Length > width) line = line[..width];
            Console.Error.Write("\r" + line.PadRight(_lastLength));
            _lastLength = line.Length;
        }
        else
        {
            Console.Error.WriteLine(line);
        }
    }

    /// <summary>Ends the in-place line so what follows starts on a fresh line.</summary>
    public void Done(string text)
    {
        Report(text);
        if (_interactive) Console.Error.WriteLine();
        _lastLength = 0;
    }

    private static int SafeWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 120; }
        catch (IOException) { return 120; }
    }
}
