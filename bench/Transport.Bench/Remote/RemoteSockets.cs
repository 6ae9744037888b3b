using System.Net.Sockets;
using System.Text;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Remote;

/// <summary>Kernel TCP settings the remote modes apply to their sockets.</summary>
internal static class RemoteSockets
{
    private static int _warned;

    /// <summary>
    /// Sets TCP_CONGESTION (Linux) to the kernel's name for <paramref name="algorithm"/>; when the kernel refuses
    /// (module not loaded, not in net.ipv4.tcp_allowed_congestion_control for non-root), warns once and keeps the default.
    /// </summary>
    public static void TrySetCongestionControl(Socket socket, CongestionControlAlgorithm algorithm, Action<string> log)
    {
        if (!OperatingSystem.IsLinux()) return;
        string name = RemoteNames.KernelName(algorithm);
        try
        {
            socket.SetRawSocketOption(6, 13, Encoding.ASCII.GetBytes(name)); // IPPROTO_TCP, TCP_CONGESTION
        }
        catch (SocketException e)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0) log($"warning: the kernel refused TCP_CONGESTION={name} ({e.Message}); TCP keeps {KernelDefault()}");
        }
    }

    /// <summary>The kernel's default TCP congestion control (net.ipv4.tcp_congestion_control), or "unknown".</summary>
    public static string KernelDefault()
    {
        try
        {
            const string path = "/proc/sys/net/ipv4/tcp_congestion_control";
            return File.Exists(path) ? File.ReadAllText(path).Trim() : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}
