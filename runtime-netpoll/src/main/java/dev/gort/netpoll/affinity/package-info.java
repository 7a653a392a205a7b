/**
 * CPU affinity for carriers ({@code -Dgort.affinity=true}) and the cache topology that makes
 * stealing prefer processors whose carriers share a last-level cache (Linux sysfs).
 */
package dev.gort.netpoll.affinity;
