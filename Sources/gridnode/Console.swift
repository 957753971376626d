#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writing to the terminal without ever trapping: Foundation's `FileHandle.write` traps when the
/// write fails (stderr on a full disk, `2>/dev/full`), which would turn a clear error into a crash.
/// These write what they can and drop the rest.
enum Console {
    static func out(_ data: Data) { write(1, data) }
    static func out(_ text: String) { write(1, Data(text.utf8)) }
    static func error(_ text: String) { write(2, Data(text.utf8)) }

    private static func write(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard var pointer = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let written = Glibc.write(fd, pointer, left)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // a full disk, a closed pipe: nothing more can be said there
                pointer += written
                left -= written
            }
        }
    }
}
