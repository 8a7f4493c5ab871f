-- CreateTable
CREATE TABLE "InstallMarker" (
    "key" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InstallMarker_pkey" PRIMARY KEY ("key")
);
